import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLesson, checkLessons, checkLessonsBeside, findLessons, fixLessons, formatProblem, matchTranscript, parseInfo, readSource } from './lessons.ts';
import { courseView } from '../lib/worktree.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
// A tiny repo of its own: source files, transcripts and lessons made for these tests,
// so they do not change when the real lessons do.
const fixture = fileURLToPath(new URL('./fixtures/lessons', import.meta.url));

describe('the course', () => {
  // After an exercise (npm run exercise -- ID), a block whose source the student changed is held
  // to the committed course instead, and named here as skipped (lessons.ts, Edited).
  const view = courseView(repo);
  let checked: ReturnType<typeof checkLessonsBeside>;
  try {
    checked = checkLessonsBeside(repo, view);
  } finally {
    view?.dispose();
  }
  it('has no lesson block that drifted from its code or transcript', () => {
    // On failure, print what `npm run docs` would: the place, then the diff.
    expect(checked.problems.map(formatProblem).join('\n\n')).toBe('');
  });
  for (const block of checked.edited) {
    it(`${block.lesson}:${block.line} shows ${block.shows}`, (ctx) => {
      console.warn(`skipped "${block.lesson}:${block.line} shows ${block.shows}": ${block.reason}`);
      ctx.skip(block.reason);
    });
  }
});

describe('findLessons', () => {
  it('finds part READMEs, part lessons and docs pages, in reading order', () => {
    expect(findLessons(fixture)).toEqual([
      'part1/README.md',
      'part1/lessons/01-drifted.md',
      'part1/lessons/02-wrong-region.md',
      'part1/lessons/03-missing-line.md',
      'docs/index.md',
    ]);
  });
});

describe('parseInfo', () => {
  it('takes the first word as the language and the rest as key=value words', () => {
    expect(parseInfo('ts file=part1/webserver1.ts region=response')).toEqual({
      lang: 'ts',
      attrs: { file: 'part1/webserver1.ts', region: 'response' },
    });
    expect(parseInfo('file=x.ts')).toEqual({ lang: '', attrs: { file: 'x.ts' } });
  });
});

describe('readSource', () => {
  it('cuts a region strictly between its markers and removes the common indentation', () => {
    expect(readSource(fixture, 'part1/server.ts', 'increment')).toEqual({
      text: 'increment(): number {\n  this.count += 1;\n\n  return this.count;\n}',
      firstLine: 14,
      lastLine: 18,
    });
  });
  it('understands # and <!-- --> markers', () => {
    expect(readSource(fixture, 'part1/server.py', 'respond').text).toBe("def respond():\n    return b'HTTP/1.1 200 OK\\r\\n\\r\\nhi\\n'");
    expect(readSource(fixture, 'part1/page.html', 'body').text).toBe('<h1>Hello</h1>\n<p>World</p>');
  });
  it('throws a one-line message for an unknown file or region, or a path out of the repo', () => {
    expect(() => readSource(fixture, 'part1/server.ts', 'nope')).toThrowError('part1/server.ts has no region nope');
    expect(() => readSource(fixture, 'part1/nowhere.ts')).toThrowError('part1/nowhere.ts does not exist');
    expect(() => readSource(fixture, '../lessons.ts')).toThrowError('does not exist');
  });
});

describe('matchTranscript', () => {
  const request = 'GET / HTTP/1.1\r\n\r\n';
  const response = 'HTTP/1.1 200 OK\r\n\r\nhi\n';
  it('accepts other lines before, between and after the two runs', () => {
    expect(matchTranscript(['$ telnet', 'GET / HTTP/1.1', '', 'x', 'HTTP/1.1 200 OK', '', 'hi', 'bye'], request, response)).toBe('');
  });
  it('needs the blank line that ends a head', () => {
    expect(matchTranscript(['GET / HTTP/1.1', 'HTTP/1.1 200 OK', '', 'hi'], request, response)).toContain('- (empty line)');
  });
  it('needs only the response when the request is empty', () => {
    expect(matchTranscript(['HTTP/1.1 200 OK', '', 'hi'], '', response)).toBe('');
  });
});

describe('checkLesson on fixtures', () => {
  it('passes blocks in step with their source and transcripts (regions, whole files, ~~~, lists, telnet and curl styles)', () => {
    expect(checkLesson(fixture, 'part1/README.md')).toEqual([]);
    expect(checkLesson(fixture, 'docs/index.md')).toEqual([]);
  });

  it('fails a drifted code block with a unified diff, and says it can be fixed', () => {
    const problems = checkLesson(fixture, 'part1/lessons/01-drifted.md');
    expect(problems.map((p) => p.message)).toEqual([
      'part1/lessons/01-drifted.md:5: block shows part1/server.ts#greeting but differs from the source',
      'part1/lessons/01-drifted.md:14: block shows part1/server.py but differs from the source',
      'part1/lessons/01-drifted.md:25: block shows part1/server.ts#increment but differs from the source',
    ]);
    expect(problems[0]!.details).toContain('-  // Say hello.\n+  // Say hi.');
    expect(problems.every((p) => p.fixable)).toBe(true);
  });

  it('fails an unknown region, file or transcript', () => {
    expect(checkLesson(fixture, 'part1/lessons/02-wrong-region.md').map((p) => [p.message, p.fixable])).toEqual([
      [
        'part1/lessons/02-wrong-region.md:3: block shows part1/server.ts#decrement but part1/server.ts has no region decrement (mark it with // #region decrement ... // #endregion)',
        false,
      ],
      ['part1/lessons/02-wrong-region.md:9: block shows part1/nowhere.ts but part1/nowhere.ts does not exist', false],
      ['part1/lessons/02-wrong-region.md:13: transcript part1/transcripts/goodbye: part1/transcripts/transcripts.json has no entry named goodbye', false],
      ['part1/lessons/02-wrong-region.md:17: transcript part9/transcripts/hello: part9/transcripts/transcripts.json does not exist', false],
    ]);
  });

  it('fails a transcript block with a missing line, and names the line', () => {
    const problems = checkLesson(fixture, 'part1/lessons/03-missing-line.md');
    expect(problems.map((p) => p.message)).toEqual([
      'part1/lessons/03-missing-line.md:5: transcript part1/transcripts/hello not found in the block',
      'part1/lessons/03-missing-line.md:16: transcript part1/transcripts/hello not found in the block',
      'part1/lessons/03-missing-line.md:27: transcript part1/transcripts/hello not found in the block',
      'part1/lessons/03-missing-line.md:39: transcript part1/transcripts/hello not found in the block',
    ]);
    expect(problems[0]!.details).toContain('- Host: localhost');
    expect(problems[1]!.details).toMatch(/the response part1\/transcripts\/hello\.response, after the request[^\n]*\n {2}HTTP\/1\.1 200 OK\n {2}Content-Length: 3\n- \(empty line\)/);
    expect(problems[2]!.details).toContain('after the request');
    expect(problems[3]!.details).toContain('add style=curl');
    expect(problems.some((p) => p.fixable)).toBe(false);
  });
});

describe('fixLessons', () => {
  let copy = '';
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('rewrites drifted blocks from source in place, keeping quote and list prefixes, and leaves the rest to a person', () => {
    copy = mkdtempSync(join(tmpdir(), 'lessons-fix-'));
    cpSync(fixture, copy, { recursive: true });

    const { fixed, remaining } = fixLessons(copy);

    expect(fixed.map((p) => p.line).sort((a, b) => a - b)).toEqual([5, 14, 25]);
    expect(checkLesson(copy, 'part1/lessons/01-drifted.md')).toEqual([]);
    const lesson = readFileSync(join(copy, 'part1/lessons/01-drifted.md'), 'utf8');
    expect(lesson).toContain('```ts file=part1/server.ts region=greeting\nexport function greeting(name: string): string {\n  // Say hello.\n');
    expect(lesson).toContain("> def respond():\n>     return b'HTTP/1.1 200 OK\\r\\n\\r\\nhi\\n'\n> # #endregion\n> ```\n");
    expect(lesson).toContain('  ```ts file=part1/server.ts region=increment\n  increment(): number {\n    this.count += 1;\n\n    return this.count;\n  }\n  ```\n');
    // Unknown names and transcripts cannot be fixed from source: they stay reported.
    expect(remaining.map((p) => p.lesson)).toEqual([...Array(4).fill('part1/lessons/02-wrong-region.md'), ...Array(4).fill('part1/lessons/03-missing-line.md')]);
    // The good lessons are untouched, byte for byte.
    expect(readFileSync(join(copy, 'part1/README.md'), 'utf8')).toBe(readFileSync(join(fixture, 'part1/README.md'), 'utf8'));
  });
});

describe('a checkout with CRLF line ends (Git for Windows, core.autocrlf=true)', () => {
  let copy = '';
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  /** The fixture repo with every text file but the transcripts' bytes turned to CRLF, as such a checkout has it. */
  function crlfCopy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'lessons-crlf-'));
    cpSync(fixture, dir, { recursive: true });
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!/\.(md|ts|py|html|json)$/.test(file)) continue; // .request and .response are -text: never converted
      const text = readFileSync(join(dir, file), 'utf8');
      writeFileSync(join(dir, file), text.replaceAll('\r\n', '\n').replaceAll('\n', '\r\n'));
    }
    expect(readFileSync(join(dir, 'part1/server.ts'), 'utf8')).toContain('\r\n');
    return dir;
  }

  it('finds the same problems as in the LF fixture: none in the good lesson, the same lines in the drifted ones', () => {
    copy = crlfCopy();
    expect(checkLesson(copy, 'part1/README.md')).toEqual([]);
    const lines = (root: string) => checkLessons(root).map((p) => `${p.lesson}:${p.line} ${p.fixable}`);
    expect(lines(copy)).toEqual(lines(fixture));
  });

  it('--fix rewrites drifted blocks and keeps the lesson CRLF throughout', () => {
    copy = crlfCopy();
    fixLessons(copy);
    expect(checkLesson(copy, 'part1/lessons/01-drifted.md')).toEqual([]);
    const lesson = readFileSync(join(copy, 'part1/lessons/01-drifted.md'), 'utf8');
    expect(lesson).toContain('```ts file=part1/server.ts region=greeting\r\nexport function greeting(name: string): string {\r\n');
    expect(lesson.replaceAll('\r\n', '')).not.toContain('\n'); // no bare LF slipped in
  });
});

describe('bench= blocks: the table of npm run bench, from the same JSON as the chart', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const figure = { name: '3i', about: '3i: pool', keepAlive: false, ok: 10, failed: {}, elapsedMs: 1, requestsPerSecond: 1234.4, p50: 1.04, p99: 2.5, peakRssMiB: 99.6, peakProcesses: 3 };
  const table = [
    'model     req/s  × 3i  p50 ms  p99 ms  failed  peak MiB  processes',
    '3i: pool   1234  1.00     1.0     2.5       0       100          3',
    '',
    '50 clients at once, GET /hello, a new connection per request except keep-alive; 2 × CPU',
  ].join('\n');
  function benchRepo(block: string, attrs = ''): string {
    dir = mkdtempSync(join(tmpdir(), 'bench-block-'));
    mkdirSync(join(dir, 'docs/bench'), { recursive: true });
    mkdirSync(join(dir, 'part3'));
    writeFileSync(join(dir, 'docs/bench/bench.json'), JSON.stringify({ date: 'd', machine: '2 × CPU', concurrency: 50, figures: [figure] }));
    writeFileSync(join(dir, 'part3/README.md'), `Figures:\n\n\`\`\`text bench=docs/bench/bench.json${attrs}\n${block}\n\`\`\`\n`);
    return dir;
  }

  it('with columns=, equals the table of those columns only, and names a column that does not exist', () => {
    const narrow = ['model     req/s  processes', '3i: pool   1234          3'].join('\n');
    expect(checkLesson(benchRepo(`${narrow}\n${table.split('\n').slice(2).join('\n')}`, ' columns=rate,memory'), 'part3/README.md')).toMatchObject([
      { message: 'part3/README.md:3: block shows the bench figures of docs/bench/bench.json but differs from their table' },
    ]);
    rmSync(dir, { recursive: true, force: true });
    const narrowWithMemory = ['model     req/s  peak MiB  processes', '3i: pool   1234       100          3'].join('\n');
    expect(checkLesson(benchRepo(`${narrowWithMemory}\n${table.split('\n').slice(2).join('\n')}`, ' columns=rate,memory'), 'part3/README.md')).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    expect(checkLesson(benchRepo(table, ' columns=rate,speed'), 'part3/README.md')).toMatchObject([
      { fixable: false, message: expect.stringContaining('it names no such columns: speed') },
    ]);
  });

  it('passes a block equal to the table, fails and fixes one that differs by a figure', () => {
    expect(checkLesson(benchRepo(table), 'part3/README.md')).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    const root = benchRepo(table.replace('1234', '1300'));
    const [problem] = checkLesson(root, 'part3/README.md');
    expect(problem).toMatchObject({ line: 3, fixable: true, message: 'part3/README.md:3: block shows the bench figures of docs/bench/bench.json but differs from their table' });
    fixLessons(root);
    expect(checkLesson(root, 'part3/README.md')).toEqual([]);
    expect(readFileSync(join(root, 'part3/README.md'), 'utf8')).toBe(`Figures:\n\n\`\`\`text bench=docs/bench/bench.json\n${table}\n\`\`\`\n`);
  });

  it('fails, unfixable, a block whose JSON does not exist', () => {
    const root = benchRepo(table);
    rmSync(join(root, 'docs/bench/bench.json'));
    expect(checkLesson(root, 'part3/README.md')).toMatchObject([{ fixable: false, message: 'part3/README.md:3: block shows the bench figures of docs/bench/bench.json but docs/bench/bench.json does not exist' }]);
  });
});

describe('style=visible transcript blocks (npm run telnet output)', () => {
  /** A throwaway repo with one transcript and a lesson block showing it. */
  function visibleRepo(block: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'visible-'));
    mkdirSync(join(dir, 'part1/transcripts'), { recursive: true });
    writeFileSync(join(dir, 'part1/transcripts/transcripts.json'), JSON.stringify([{ name: 't', about: 'x' }]));
    writeFileSync(join(dir, 'part1/transcripts/t.request'), 'GET / HTTP/1.1\r\n\r\n');
    writeFileSync(join(dir, 'part1/transcripts/t.response'), 'HTTP/1.1 200 OK\r\n\r\nHi\n');
    writeFileSync(join(dir, 'part1/README.md'), `\`\`\`text transcript=part1/transcripts/t style=visible\n${block}\n\`\`\`\n`);
    return dir;
  }
  it('passes when the response is shown with CR and LF written out', () => {
    expect(checkLesson(visibleRepo('GET / HTTP/1.1\n\nHTTP/1.1 200 OK\\r\\n\n\\r\\n\nHi\\n'), 'part1/README.md')).toEqual([]);
  });
  it('fails when a CR is missing from the shown bytes', () => {
    const [problem] = checkLesson(visibleRepo('GET / HTTP/1.1\n\nHTTP/1.1 200 OK\\n\n\\r\\n\nHi\\n'), 'part1/README.md');
    expect(problem!.message).toBe('part1/README.md:1: transcript part1/transcripts/t not found in the block');
  });
});
