import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite, checkFrontPage, type BuildResult } from './build.ts';
import { commandLines, inlineSvg, splitHighlightedLines } from './markdown.ts';
import { buildIndex, pageSections, SEARCH_QUERY } from './search.ts';
import { findLessons } from './lessons.ts';
import { checkPageOrder, COURSE_PAGES, type PageEntry } from './pages.ts';
import { copiedText, hardCodedPids } from './safe-commands.ts';

// A tiny course of its own (lessons, a source file, a diagram, transcripts), so
// these tests do not change when the real lessons do.
const fixture = fileURLToPath(new URL('./fixtures/site', import.meta.url));
const drifted = fileURLToPath(new URL('./fixtures/lessons', import.meta.url));

// The fixture's reading order (the course's is scripts/site/pages.ts).
const ORDER: PageEntry[] = [
  { source: 'docs/index.md', kind: 'guide', group: 'Start', short: 'Home' },
  { source: 'part1/README.md', kind: 'lesson', group: 'Part 1' },
  { source: 'part1/lessons/01-more.md', kind: 'lesson', group: 'Part 1' },
  { source: 'docs/glossary.md', kind: 'guide', group: 'Guides' },
];

let out = '';
let result: BuildResult;
const page = (path: string) => readFileSync(join(out, path), 'utf8');

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'site-'));
  result = buildSite({ root: fixture, outDir: out, order: ORDER });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('buildSite', () => {
  it('writes one page per lesson, in reading order, and is fast', () => {
    expect(result.built).toBe(true);
    expect(result.pages.map((p) => [p.source, p.output, p.title])).toEqual([
      ['docs/index.md', 'index.html', 'Fixture course'],
      ['part1/README.md', 'part1/index.html', 'Part 1: the fixture'],
      ['part1/lessons/01-more.md', 'part1/01-more.html', 'More'],
      ['docs/glossary.md', 'glossary.html', 'Glossary'],
    ]);
    for (const file of ['index.html', 'part1/index.html', 'part1/01-more.html', 'glossary.html', '404.html', 'site.css']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    // The fixture's four pages: the bound only catches a build gone pathological (every page
    // rendered once per page, say), with room for a machine many times busier than a quiet one.
    expect(result.ms).toBeLessThan(10_000);
  });

  it('links Home and the parts that exist, and the previous and next pages', () => {
    const html = page('part1/index.html');
    expect(html).toContain('<a href="../index.html">Home</a>');
    expect(html).toContain('<a href="index.html" aria-current="page" class="in-section">Part 1</a>');
    expect(html).not.toContain('>Part 2</a></li>');
    expect(html).toContain('rel="prev" href="../index.html"');
    expect(html).toContain('rel="next" href="01-more.html"');
  });

  it('lists every page in reading order in the sidebar, marks only the current page, and numbers the lessons', () => {
    const html = page('part1/01-more.html');
    const sidebar = /<nav class="course-nav"[\s\S]*?<\/nav>/.exec(html)![0];
    expect([...sidebar.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual(['../index.html', 'index.html', '01-more.html', '../glossary.html']);
    expect(html.match(/aria-current="page"/g)).toHaveLength(1);
    expect(sidebar).toContain('<a href="01-more.html" aria-current="page"><span class="n">2</span> More</a>');
    expect(html).toContain('<p class="kicker">Lesson 2 of 2</p>');
    expect(html).toContain('class="in-section">Part 1</a>');
    expect(page('glossary.html')).toContain('rel="prev" href="part1/01-more.html"');
  });

  it('refuses a lesson in no list, naming the file to add it to', () => {
    const short = buildSite({ root: fixture, outDir: join(out, 'unused'), order: ORDER.filter((entry) => entry.source !== 'part1/lessons/01-more.md') });
    expect(short.built).toBe(false);
    expect(short.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^part1\/lessons\/01-more\.md is in no list: add it to .*scripts\/site\/pages\.ts/)]);
  });

  it("has the course's every lesson and guide in its reading order (scripts/site/pages.ts)", () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    expect(checkPageOrder(findLessons(root), COURSE_PAGES)).toEqual([]);
  });

  it('refuses a copyable command that hard-codes a PID, and accepts one that finds it', () => {
    expect(hardCodedPids('kill -9 10089')).toEqual(['kill -9 10089']);
    expect(hardCodedPids('sleep 1; kill -TERM 10078')).toHaveLength(1);
    expect(hardCodedPids('ps -o pid,ppid,stat --ppid 11414')).toHaveLength(1);
    expect(hardCodedPids('ls -l /proc/11845/fd | grep socket')).toHaveLength(1);
    expect(hardCodedPids('lsof -nP -a -p 11845 -i')).toHaveLength(1);
    expect(hardCodedPids("kill -9 $(pgrep -nf 'webserver3i\\.mjs')\nps --ppid $PARENT\ngrep State /proc/$(pgrep -P $PARENT)/status")).toEqual([]);
    expect(hardCodedPids('kill %1\ncurl -s -m 60 localhost:8888/die')).toEqual([]);
    // Output under a command keeps its numbers: only the $ lines of a session are copied.
    expect(hardCodedPids(copiedText('$ ps --ppid $(pgrep -of x)\n  PID  PPID\n10089 10078 kill -9 10089\n'))).toEqual([]);
  });

  it('gives the 404 page links from the root, so it works at any depth', () => {
    const html = page('404.html');
    expect(html).toContain('href="/site.css"');
    expect(html).toContain('data-root="/"');
    expect(html).not.toMatch(/(?:href|src)="(?!\/|#|https?:)/);
  });

  it('turns GitHub links into site links: lessons, anchors, source files, folders', () => {
    const html = page('part1/index.html');
    expect(html).toContain('href="../glossary.html#crlf"');
    expect(html).toContain('href="../src/part1/server.ts.html"');
    expect(html).toContain('href="../src/part1/server.ts.html#L3"');
    expect(html).toContain('href="../src/part1/transcripts/index.html"');
    expect(html).toContain('href="01-more.html"');
    expect(page('glossary.html')).toContain('href="part1/index.html#the-answer"');
    expect(page('src/part1/server.ts.html')).toContain('id="L3"');
  });

  it('warns about links to nothing and to missing headings', () => {
    expect(result.warnings).toContain('part1/README.md: link to part2/README.md, which does not exist');
    expect(result.warnings).toContain('part1/lessons/01-more.md: link to part1/README.md#nowhere, which has no heading with that anchor');
  });

  it('inlines SVG diagrams, named by their alt text, ids made unique', () => {
    const html = page('part1/index.html');
    expect(html).not.toContain('<img');
    expect(html).toMatch(/<svg [^>]*role="img" aria-label="How it flows"/);
    expect(html).toContain('<marker id="svg1-arrow">');
    expect(html).toContain('marker-end="url(#svg1-arrow)"');
    expect(html).not.toContain('<?xml');
  });

  it('captions file= and transcript= blocks with their source, and highlights by the first word', () => {
    const html = page('part1/index.html');
    expect(html).toContain('<figcaption><a href="../src/part1/server.ts.html#L3">part1/server.ts</a> — region <code>answer</code></figcaption>');
    expect(html).toContain('golden transcript: <a href="../src/part1/transcripts/index.html#hello">part1/transcripts/hello</a>');
    expect(html).toContain('<pre class="wrap"><code class="hljs language-ts"><span class="line"><span class="hljs-keyword">export</span>');
  });

  it('renders ::: boxes and GitHub alerts, and a table of contents from h2 and h3', () => {
    const html = page('part1/index.html');
    expect(html).toContain('<aside class="box box-tip"><p class="box-title">Keep going</p>');
    expect(html).toContain('<aside class="box box-warning"><p class="box-title">Warning</p>');
    expect(html).not.toContain('[!WARNING]');
    expect(html).toContain('<li class="toc-h2"><a href="#the-answer">The answer</a></li><li class="toc-h3"><a href="#on-the-wire">On the wire</a></li>');
  });

  it('shows transcript bytes with CR and LF visible', () => {
    expect(page('src/part1/transcripts/index.html')).toContain('GET / HTTP/1.1<span class="crlf">\\r</span><span class="crlf">\\n</span>');
  });

  it('refuses to build, writing nothing, when a lesson drifted from its code', () => {
    const empty = mkdtempSync(join(tmpdir(), 'site-drift-'));
    try {
      const refused = buildSite({ root: drifted, outDir: join(empty, 'site') });
      expect(refused.built).toBe(false);
      expect(refused.problems.length).toBeGreaterThan(0);
      expect(existsSync(join(empty, 'site'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('inlineSvg', () => {
  it('adds a viewBox from width and height so CSS can scale it, and moves labelledby to describedby', () => {
    const svg = inlineSvg('<svg width="20" height="10" aria-labelledby="t"><title id="t">T</title></svg>', 'Alt', 'p-');
    expect(svg).toBe('<svg width="20" height="10" aria-describedby="p-t" viewBox="0 0 20 10" role="img" aria-label="Alt"><title id="p-t">T</title></svg>');
  });
});

describe('splitHighlightedLines', () => {
  it('closes and reopens a span that crosses a line end', () => {
    expect(splitHighlightedLines('<span class="c">/* a\nb */</span>\nx')).toEqual(['<span class="c">/* a</span>', '<span class="c">b */</span>', 'x']);
  });
});

describe('checkFrontPage', () => {
  it('warns when the front page calls a written part "coming" or names a missing npm script', () => {
    const dir = mkdtempSync(join(tmpdir(), 'front-'));
    try {
      mkdirSync(join(dir, 'docs'));
      mkdirSync(join(dir, 'part2'));
      writeFileSync(join(dir, 'part2', 'README.md'), '# Part 2\n');
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { part1: 'x' } }));
      writeFileSync(
        join(dir, 'docs', 'index.md'),
        '**Part 1**: run `npm run part1`.\n\n**Part 2**: its lesson is coming. Run `npm run part2 -- APP`.\n\n**Part 3**: not written yet. It will run with `npm run part3 -- STEP`.\n',
      );
      expect(checkFrontPage(dir)).toEqual([
        "docs/index.md says Part 2's lesson is coming, but part2/README.md exists: link it",
        'docs/index.md gives `npm run part2`, but package.json has no part2 script',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('commandLines (what a copy button copies from a terminal session)', () => {
  it.each([
    ['one command, its output left out', '$ curl -v http://localhost:8888/hello\n* Connected\n< HTTP/1.1 200 OK\n', 'curl -v http://localhost:8888/hello'],
    ['two commands with output between', '$ npm run part1\n> tsx part1/webserver1.ts\n$ nc localhost 8888\nGET / HTTP/1.1\n', 'npm run part1\nnc localhost 8888'],
    ['a command continued with a backslash', "$ printf 'GET /' \\\n  | nc localhost 8888\nHTTP/1.1 200 OK\n", "printf 'GET /' \\\n  | nc localhost 8888"],
    ['a lone prompt', '$\n', ''],
  ])('%s', (_name, block, expected) => {
    expect(commandLines(block)).toBe(expected);
  });

  it('leaves a block without prompts to be copied whole', () => {
    expect(commandLines('npm install\nnpm start\n')).toBeUndefined();
    expect(commandLines('const price = $ 5;\n')).toBeUndefined();
  });

  it('puts the commands on the rendered block', () => {
    expect(page('part1/01-more.html')).toContain('<div class="code" data-copy="node server.ts --port 8888"><pre class="wrap">');
  });
});

describe('search index', () => {
  const html =
    '<h1 id="p" tabindex="-1"><a class="anchor" href="#p">#</a> Page</h1>\n<p>Opening words.</p>\n' +
    '<h2 id="what-a-zombie-is" tabindex="-1"><a class="anchor" href="#what-a-zombie-is">#</a> What a zombie is</h2>\n' +
    '<p>A child that exited &amp; was not reaped.</p><span class="diagram"><svg><text>label</text></svg></span>' +
    '<pre><code>waitpid(pid, WNOHANG)</code></pre>\n<h3 id="reap">Reaping</h3><p>The parent calls <code>waitpid</code>.</p>';

  it('cuts a page into its sections, each linking to its heading, code apart and diagrams left out', () => {
    expect(pageSections('part3/02-zombies.html', 'Zombies', html)).toEqual([
      { id: 'part3/02-zombies.html', title: 'Page', page: 'Zombies', text: 'Opening words.', code: '' },
      { id: 'part3/02-zombies.html#what-a-zombie-is', title: 'What a zombie is', page: 'Zombies', text: 'A child that exited & was not reaped.', code: 'waitpid(pid, WNOHANG)' },
      { id: 'part3/02-zombies.html#reap', title: 'Reaping', page: 'Zombies', text: 'The parent calls waitpid .', code: '' },
    ]);
  });

  it('ranks the section whose heading names the word first', () => {
    const index = buildIndex(pageSections('z.html', 'Z', html + '<h2 id="other">Other</h2><p>One zombie here.</p>'));
    expect(index.search('zombie', SEARCH_QUERY).map((hit) => hit.id)).toEqual(['z.html#what-a-zombie-is', 'z.html#other']);
    expect(index.search('zomb', SEARCH_QUERY)[0]!.id).toBe('z.html#what-a-zombie-is');
  });

  it('is written with the site, with MiniSearch beside it', () => {
    expect(page('search-index.js')).toMatch(/^\/\/ .*\nwindow\.courseSearch = \{"options":/);
    expect(page('minisearch.js')).toContain('MiniSearch');
    expect(page('minisearch.js')).not.toContain('sourceMappingURL');
    expect(result.searchSections).toBeGreaterThan(3);
  });
});

describe('site.css', () => {
  it('gives every colour of every diagram a dark-theme counterpart', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const css = readFileSync(join(root, 'docs', 'site.css'), 'utf8');
    const dir = join(root, 'docs', 'diagrams');
    const missing: string[] = [];
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.svg'))) {
      for (const [, attr, colour] of readFileSync(join(dir, file), 'utf8').matchAll(/\s(fill|stroke)="(#[0-9a-fA-F]{3,6})"/g)) {
        if (!css.includes(`[data-theme='dark'] .diagram [${attr}='${colour}']`)) missing.push(`${file}: ${attr}="${colour}"`);
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});
