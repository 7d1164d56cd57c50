import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLesson, fixLessons } from './lessons.ts';
import { stepDiff, stepFile } from '../lib/steps.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('steps', () => {
  it('maps step names to files, and refuses others', () => {
    expect(stepFile('1')).toBe('part1/webserver1.ts');
    expect(stepFile('1b')).toBe('part1/webserver1b.ts');
    expect(stepFile('3g')).toBe('part3/webserver3g.ts');
    expect(() => stepFile('4')).toThrowError("'4' is not a step: use 1, 1b, 2, 2b or 3a ... 3i");
  });

  it('diffs Part 1 against Part 2 like diff -u', () => {
    const text = stepDiff(root, '1', '2');
    expect(text.split('\n').slice(0, 3)).toEqual(['--- part1/webserver1.ts', '+++ part2/webserver2.ts', expect.stringMatching(/^@@ -1,\d+ \+1,\d+ @@$/)]);
    expect(stepDiff(root, '1', '1')).toBe('--- part1/webserver1.ts\n+++ part1/webserver1.ts');
  });
});

describe('diff= blocks in lessons', () => {
  /** A throwaway repo with two steps and a lesson quoting their diff. */
  function repo(block: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'steps-'));
    mkdirSync(join(dir, 'part1'));
    mkdirSync(join(dir, 'part2'));
    writeFileSync(join(dir, 'part1/webserver1.ts'), 'one\ntwo\nthree\n');
    writeFileSync(join(dir, 'part2/webserver2.ts'), 'one\n2\nthree\n');
    writeFileSync(join(dir, 'part2/README.md'), `# Lesson\n\n\`\`\`diff diff=1..2\n${block}\n\`\`\`\n`);
    return dir;
  }
  const good = ['--- part1/webserver1.ts', '+++ part2/webserver2.ts', '@@ -1,3 +1,3 @@', ' one', '-two', '+2', ' three'].join('\n');

  it('passes when the block is the diff', () => {
    expect(checkLesson(repo(good), 'part2/README.md')).toEqual([]);
  });

  it('fails when the steps changed since, and --fix rewrites the block', () => {
    const dir = repo(good.replace('+2', '+TWO'));
    const [problem] = checkLesson(dir, 'part2/README.md');
    expect(problem!.message).toBe('part2/README.md:3: block shows the diff 1..2 but differs from npm run diff -- 1 2');
    fixLessons(dir);
    expect(readFileSync(join(dir, 'part2/README.md'), 'utf8')).toContain(good);
    expect(checkLesson(dir, 'part2/README.md')).toEqual([]);
  });

  it('fails on a step that does not exist', () => {
    const dir = repo(good);
    writeFileSync(join(dir, 'part2/README.md'), '```diff diff=1..3z\nx\n```\n');
    expect(checkLesson(dir, 'part2/README.md')[0]!.message).toBe("part2/README.md:1: block shows the diff 1..3z but '3z' is not a step: use 1, 1b, 2, 2b or 3a ... 3i");
  });
});
