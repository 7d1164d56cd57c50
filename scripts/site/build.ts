/**
 * Builds the course site into docs/site/, for `npm run docs` (scripts/docs.ts; `-- --fix` first
 * rewrites drifted lesson blocks from source), `npm start` and `npm run screenshots`.
 *
 * Pages: docs/index.md -> index.html, docs/NAME.md -> NAME.html,
 * partN/README.md -> partN/index.html, partN/lessons/NN-x.md -> partN/NN-x.html.
 * Every project file a lesson links to or quotes gets a highlighted page under
 * src/, and a transcripts folder gets a page showing every byte. Beside them:
 * site.css and site.js (docs/), and the search index of the lessons and guides
 * with MiniSearch's browser build (search.ts says why MiniSearch).
 *
 * The lesson/code drift check runs first: a lesson that no longer matches its
 * code fails the build, so the site never teaches stale code. So do a lesson
 * missing from the reading order (pages.ts) and a copyable command with a
 * hard-coded PID (safe-commands.ts).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { checkLessonsBeside, findLessons, fixLessons, type Edited, type Problem } from './lessons.ts';
import { courseView } from '../lib/worktree.ts';
import { createRenderer, escapeHtml, relativeUrl, renderPage, type SiteContext } from './markdown.ts';
import { renderLayout, type CourseLink, type NavItem } from './layout.ts';
import { checkCopyableCommands } from './safe-commands.ts';
import { checkPageOrder, COURSE_PAGES, type PageEntry, type PageKind } from './pages.ts';
import { isHidden, isTranscriptFolder, renderListing, renderSourceFile, renderTranscripts } from './source.ts';
import { buildIndex, pageSections, searchScript, sourceSections } from './search.ts';
import { REPO_ROOT } from '../lib/repo.ts';


/** Options of {@link buildSite}. */
export interface BuildOptions {
  /** Repo root. Default: this repo. */
  root?: string;
  /** Where the site goes; emptied first. Default `ROOT/docs/site`. */
  outDir?: string;
  /** Rewrite drifted `file=` blocks from source before checking. Default false. */
  fix?: boolean;
  /** Build even when the drift check finds problems (`npm start` shows the site anyway). Default false. */
  allowDrift?: boolean;
  /** The reading order (scripts/site/pages.ts). Default: the course's, {@link COURSE_PAGES}. */
  order?: PageEntry[];
}

/** One lesson page of the site. */
export interface SitePage {
  /** Repo path of the markdown: `part1/README.md`. */
  source: string;
  /** Site path: `part1/index.html`. */
  output: string;
  /** The header navigation entry it belongs to: `Home`, `Part 1`, `Glossary`. */
  section: string;
  /** Its h1, as text. */
  title: string;
  /** Main path, reference page or guide (scripts/site/pages.ts). */
  kind: PageKind;
  /** The sidebar's group: `Part 2`. */
  group: string;
  /** The sidebar's name for it: its `short` in pages.ts, else its title. */
  short?: string;
  /** Its place on the main path: 3 of 9 (lessons only). */
  lesson?: { n: number; of: number };
}

/** What {@link buildSite} did. */
export interface BuildResult {
  /** False when drift stopped the build (nothing was written). */
  built: boolean;
  /** Drift problems still there (after fixing, with `fix`). */
  problems: Problem[];
  /** Blocks a student's exercise changed the source of: built with a note, not a problem (lessons.ts). */
  edited: Edited[];
  /** Blocks `fix` rewrote. */
  fixed: Problem[];
  pages: SitePage[];
  /** Source, folder and transcript pages written under src/. */
  sourcePages: number;
  /** Sections in the search index (one per heading of a lesson or guide). */
  searchSections: number;
  /** Broken links and missing pictures: worth fixing, not fatal. */
  warnings: string[];
  outDir: string;
  /** Wall time of the build, in ms. */
  ms: number;
}

/** The site path of a lesson: `part1/README.md` -> `part1/index.html`, `part3/lessons/01-fork.md` -> `part3/01-fork.html`, `docs/x.md` -> `x.html`. */
export function outputOf(source: string): string {
  const [top, ...rest] = source.split('/');
  if (/^part\d+$/.test(top!)) return rest.join('/') === 'README.md' ? `${top}/index.html` : `${top}/${posix.basename(source, '.md')}.html`;
  return `${posix.basename(source, '.md')}.html`;
}

/** The header's label of a page that has its own entry there: a part's README, 2b, the guides. */
function headerLabel(entry: PageEntry): string | undefined {
  if (entry.source === 'docs/index.md') return 'Home';
  const part = /^part(\d+)\/README\.md$/.exec(entry.source);
  if (part) return `Part ${part[1]}`;
  if (entry.source === 'part2/lessons/persistent.md') return 'Part 2b';
  if (entry.kind === 'guide') return entry.group === 'Guides' ? (entry.short ?? posix.basename(entry.source, '.md').replace(/^./, (c) => c.toUpperCase())) : undefined;
  return undefined;
}

/**
 * The site pages for the lessons of `root`, in the reading order `order`
 * (scripts/site/pages.ts): the order of the sidebar and of previous/next.
 * A lesson missing from `order` comes last (the build reports it).
 */
export function planPages(root: string, order: PageEntry[] = COURSE_PAGES): Omit<SitePage, 'title'>[] {
  const found = findLessons(root);
  const listed = order.filter((entry) => found.includes(entry.source));
  const unlisted = found.filter((source) => !order.some((entry) => entry.source === source)).map((source): PageEntry => ({ source, kind: 'reference', group: 'Not in the reading order' }));
  const entries = [...listed, ...unlisted];
  const mainPath = entries.filter((entry) => entry.kind === 'lesson');
  let section = 'Home';
  return entries.map((entry) => {
    section = headerLabel(entry) ?? section;
    const n = mainPath.indexOf(entry);
    return {
      source: entry.source,
      output: outputOf(entry.source),
      section,
      kind: entry.kind,
      group: entry.group,
      ...(entry.short ? { short: entry.short } : {}),
      ...(n >= 0 ? { lesson: { n: n + 1, of: mainPath.length } } : {}),
    };
  });
}

/** A file the site must carry besides the lessons. */
interface Extra {
  kind: 'file' | 'folder' | 'transcripts' | 'asset';
  output: string;
  /** Site paths of the pages that link to it. */
  referrers: Set<string>;
}

/**
 * Checks the lessons, then renders the whole site into `outDir`.
 *
 * @returns what was built; `built` is false (and nothing written) when the
 *   drift check found problems and `allowDrift` is not set
 * @throws when docs/site.css is missing or the output folder cannot be written
 */
export function buildSite(options: BuildOptions = {}): BuildResult {
  const started = performance.now();
  const root = resolve(options.root ?? REPO_ROOT);
  const outDir = resolve(options.outDir ?? join(root, 'docs', 'site'));
  if (root === outDir || !relative(outDir, root).startsWith('..')) throw new Error(`refusing to empty ${outDir}: it holds the repo`);

  // After an exercise, the lessons are checked beside the course as committed (scripts/lib/worktree.ts).
  const view = courseView(root);
  let fixed: Problem[] = [];
  let checked;
  try {
    if (options.fix) fixed = fixLessons(root, view).fixed;
    checked = checkLessonsBeside(root, view);
  } finally {
    view?.dispose();
  }
  // A page in no list would be missing from the sidebar and previous/next: refuse it like drift.
  const order = options.order ?? COURSE_PAGES;
  const remaining = [
    ...checked.problems,
    ...checkPageOrder(findLessons(root), order).map((message): Problem => ({ lesson: 'scripts/site/pages.ts', line: 1, message, details: '', fixable: false })),
    // A copy button must never paste a PID from the machine a lesson was recorded on.
    ...checkCopyableCommands(root, findLessons(root)),
  ];
  const result: BuildResult = { built: false, problems: remaining, edited: checked.edited, fixed, pages: [], sourcePages: 0, searchSections: 0, warnings: [], outDir, ms: 0 };
  if (remaining.length > 0 && !options.allowDrift) {
    result.ms = performance.now() - started;
    return result;
  }

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const write = (sitePath: string, content: string | Buffer) => {
    const full = join(outDir, sitePath);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  };

  const planned = planPages(root, order);
  const extras = new Map<string, Extra>();
  const site: SiteContext = {
    root,
    pages: new Map(planned.map((page) => [page.source, page.output])),
    resolveFile: (repoPath, referrer) => resolveExtra(root, site.pages, extras, repoPath, referrer),
    warnings: result.warnings,
    anchorLinks: [],
    edited: new Map(checked.edited.map((block) => [`${block.lesson}:${block.line}`, block.reason])),
    diagrams: new Map(),
  };
  const md = createRenderer(site);

  // Render first, lay out second: prev/next links need every page's title.
  const rendered = planned.map((page) => {
    const out = renderPage(md, readFileSync(join(root, page.source), 'utf8'), { source: page.source, output: page.output });
    return { ...page, ...out, title: out.title ?? page.section };
  });
  if (!rendered.some((page) => page.output === 'index.html')) result.warnings.push('docs/index.md is missing: the site has no front page');
  result.warnings.push(...checkFrontPage(root));
  // A heading renamed in one lesson silently breaks `README.md#old-name` in another: say so.
  const ids = new Map(rendered.map((page) => [page.output, new Set([...page.html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!))]));
  for (const link of site.anchorLinks) {
    if (!ids.get(link.page)?.has(link.id)) {
      const target = rendered.find((page) => page.output === link.page)!.source;
      result.warnings.push(`${link.source}: link to ${target}#${link.id}, which has no heading with that anchor`);
    }
  }

  // Each section of the header links to its first page: a part's README comes before its lessons.
  const sections = new Map<string, string>();
  for (const page of rendered) if (!sections.has(page.section)) sections.set(page.section, page.output);
  // aria-current marks only the page itself; the section a page belongs to is a class.
  const navFor = (page: { section: string; output: string } | undefined): NavItem[] =>
    [...sections].map(([label, href]) => ({ label, href, current: href === page?.output, inSection: label === page?.section }));
  const courseFor = (output: string | undefined): CourseLink[] =>
    rendered.map((page) => ({
      title: page.short ?? page.title,
      href: page.output,
      kind: page.kind,
      group: page.group,
      current: page.output === output,
      ...(page.lesson ? { lesson: page.lesson.n } : {}),
    }));

  // Previous/next follow the whole reading order (pages.ts): every page has both
  // neighbours but the first and the last. A page whose next one is a reference
  // page also names the next lesson of the main path, to skip ahead.
  rendered.forEach((page, i) => {
    const prev = rendered[i - 1];
    const next = rendered[i + 1];
    const nextLesson = rendered.slice(i + 1).find((later) => later.kind === 'lesson');
    write(
      page.output,
      renderLayout({
        output: page.output,
        title: page.title,
        body: page.html,
        nav: navFor(page),
        course: courseFor(page.output),
        headings: page.headings,
        source: page.source,
        ...(page.lesson ? { lesson: page.lesson } : {}),
        ...(prev ? { prev: { title: prev.title, href: prev.output } } : {}),
        ...(next ? { next: { title: next.title, href: next.output } } : {}),
        ...(nextLesson && next && nextLesson !== next && next.kind === 'reference' ? { nextLesson: { title: nextLesson.title, href: nextLesson.output } } : {}),
      }),
    );
  });

  // Source pages, folder listings and copies. A listing registers what it
  // lists, so keep going until nothing new was registered.
  const titles = new Map(rendered.map((page) => [page.output, page.title]));
  const done = new Set<string>();
  for (let pending = [...extras.keys()]; pending.length > 0; pending = [...extras.keys()].filter((key) => !done.has(key))) {
    for (const repoPath of pending) {
      done.add(repoPath);
      const extra = extras.get(repoPath)!;
      if (extra.kind === 'asset') {
        mkdirSync(dirname(join(outDir, extra.output)), { recursive: true });
        copyFileSync(join(root, repoPath), join(outDir, extra.output));
        continue;
      }
      const resolveHere = (path: string) => resolveExtra(root, site.pages, extras, path, extra.output);
      const body =
        extra.kind === 'file'
          ? renderSourceFile(root, repoPath)
          : extra.kind === 'transcripts'
            ? renderTranscripts(root, repoPath, extra.output, resolveHere) + '\n<h2>Files</h2>\n' + renderListing(root, repoPath, extra.output, resolveHere)
            : renderListing(root, repoPath, extra.output, resolveHere);
      write(extra.output, renderLayout({ output: extra.output, title: repoPath, body: sourceHeading(repoPath, extra) + body, nav: navFor(undefined), course: courseFor(undefined), kicker: kickerFor(root, site.pages, extras, repoPath, extra, titles) }));
      result.sourcePages++;
    }
  }

  // Each diagram full size: twice its drawn width (at least 1600 px), in a box that scrolls.
  for (const [output, diagram] of site.diagrams!) {
    const width = Math.max(1600, Math.round(2 * diagram.width));
    write(output, renderLayout({
      output,
      title: `Diagram: ${diagram.title}`,
      kicker: 'Diagram, full size',
      body:
        `<h1>${diagram.title}</h1>\n<p><a href="${relativeUrl(output, diagram.referrer)}">← Back to the lesson</a>. ` +
        `The diagram at ${width} px wide: scroll, or zoom in further (pinch on a phone, Ctrl and + on a computer).</p>\n` +
        `<div class="diagram-full" tabindex="0" role="region" aria-label="The diagram, scrolls"><img src="${relativeUrl(output, diagram.svg)}" width="${width}" alt="${escapeHtml(diagram.alt)}"></div>`,
      nav: navFor(undefined),
    }));
  }

  // The server sends 404.html for a missing page at any depth (/part1/typo.html):
  // its links go from the site's root, not from where 404.html lies.
  write('404.html', renderLayout({
    output: '404.html',
    title: 'Not found',
    body: '<h1>Not found</h1>\n<p>There is no page at this address. Start again from the <a href="/index.html">front page</a>, or search the course.</p>',
    nav: navFor(undefined),
    course: courseFor(undefined),
    fromRoot: true,
  }));
  const css = join(root, 'docs', 'site.css');
  if (!existsSync(css)) throw new Error('docs/site.css is missing: the site has no stylesheet');
  copyFileSync(css, join(outDir, 'site.css'));
  // The script is optional for a site (a test fixture may have none): the pages read without it.
  const script = join(root, 'docs', 'site.js');
  if (existsSync(script)) copyFileSync(script, join(outDir, 'site.js'));
  const favicon = join(root, 'docs', 'favicon.svg');
  if (existsSync(favicon)) copyFileSync(favicon, join(outDir, 'favicon.svg'));
  // Search: the lessons and guides, section by section (scripts/site/search.ts says why MiniSearch).
  const searchable = [
    ...rendered.flatMap((page) => pageSections(page.output, page.title, page.html)),
    ...[...extras]
      .filter(([repoPath, extra]) => extra.kind === 'file' && /^part\d+\/.*\.ts$/.test(repoPath) && !/\.test\.ts$/.test(repoPath))
      .flatMap(([repoPath, extra]) => sourceSections(extra.output, repoPath, readFileSync(join(root, repoPath), 'utf8'))),
  ];
  write('search-index.js', searchScript(buildIndex(searchable)));
  write('minisearch.js', miniSearchBrowserBuild());
  result.searchSections = searchable.length;

  result.built = true;
  result.pages = rendered.map(({ source, output, section, title, kind, group, short, lesson }) => ({ source, output, section, title, kind, group, ...(short ? { short } : {}), ...(lesson ? { lesson } : {}) }));
  result.ms = performance.now() - started;
  return result;
}

/**
 * MiniSearch's browser build (UMD: it defines window.MiniSearch), without its
 * source map comment, whose map the site does not carry.
 */
function miniSearchBrowserBuild(): string {
  const entry = createRequire(import.meta.url).resolve('minisearch'); // .../minisearch/dist/cjs/index.cjs
  const umd = join(dirname(entry), '..', 'umd', 'index.js');
  return readFileSync(umd, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
}

/**
 * The front page must stay honest as parts land: it should not call a part
 * "coming" once its lesson exists, nor give a command package.json lacks.
 * Returns one warning per claim that no longer holds.
 */
export function checkFrontPage(root: string): string[] {
  const index = join(root, 'docs', 'index.md');
  if (!existsSync(index)) return [];
  const warnings: string[] = [];
  const manifest = join(root, 'package.json');
  const scripts = existsSync(manifest) ? ((JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}) : {};
  for (const paragraph of readFileSync(index, 'utf8').split(/\n\s*\n/)) {
    const part = /\*\*\[?Part (\d+)/.exec(paragraph)?.[1];
    if (part && /\bcoming\b/i.test(paragraph) && /lesson is coming|not written yet/i.test(paragraph) && existsSync(join(root, `part${part}`, 'README.md'))) {
      warnings.push(`docs/index.md says Part ${part}'s lesson is coming, but part${part}/README.md exists: link it`);
    }
    for (const [, script] of paragraph.matchAll(/`npm run (part\d+)\b[^`]*`/g)) {
      const saysComing = /will run with/i.test(paragraph);
      if (!saysComing && scripts[script!] === undefined) warnings.push(`docs/index.md gives \`npm run ${script}\`, but package.json has no ${script} script`);
    }
  }
  return warnings;
}

/** The h1 of a source page: the path, each folder a link up. */
function sourceHeading(repoPath: string, extra: Extra): string {
  const name = extra.kind === 'file' ? repoPath : `${repoPath}/`;
  return `<h1 class="path">${escapeHtml(name)}</h1>\n`;
}

/** The line above a source page's h1: what it is, its folder, and the lessons that show it. */
function kickerFor(root: string, pages: Map<string, string>, extras: Map<string, Extra>, repoPath: string, extra: Extra, titles: Map<string, string>): string {
  const what = { file: 'Project file', folder: 'Folder', transcripts: 'Golden transcripts', asset: 'File' }[extra.kind];
  const parent = posix.dirname(repoPath);
  const parentUrl = parent !== '.' ? resolveExtra(root, pages, extras, parent, extra.output) : undefined;
  const inFolder = parentUrl ? ` in <a href="${relativeUrl(extra.output, parentUrl)}">${escapeHtml(parent)}/</a>` : '';
  // Lessons that link here, by title: "shown on Part 1: a web server on a raw socket".
  const referrers = [...extra.referrers].filter((page) => titles.has(page));
  const shownOn = referrers.length
    ? ` · shown on ${referrers.map((page) => `<a href="${relativeUrl(extra.output, page)}">${escapeHtml(titles.get(page)!)}</a>`).join(', ')}`
    : '';
  return `${what}${inFolder}${shownOn}`;
}

const ASSET = /\.(png|jpe?g|gif|webp|svg|ico)$/i;

/**
 * Where a repo path that is not a lesson lives on the site, registering it
 * so the build writes it. Undefined for what does not exist or must not be
 * published (node_modules, dot folders, the built site itself).
 */
function resolveExtra(root: string, pages: Map<string, string>, extras: Map<string, Extra>, repoPath: string, referrer: string): string | undefined {
  const normal = posix.normalize(repoPath).replace(/\/$/, '');
  if (normal === '..' || normal.startsWith('../') || posix.isAbsolute(normal)) return undefined;
  if (isHidden(normal)) return undefined;
  const page = pages.get(normal) ?? pages.get(posix.join(normal, 'README.md'));
  if (page) return page;
  let known = extras.get(normal);
  if (!known) {
    let stats;
    try {
      stats = statSync(join(root, normal));
    } catch {
      return undefined; // a link to nothing: the caller warns
    }
    const folder = normal === '.' ? 'src/index.html' : `src/${normal}/index.html`;
    known = stats.isDirectory()
      ? { kind: isTranscriptFolder(root, normal) ? 'transcripts' : 'folder', output: folder, referrers: new Set() }
      : ASSET.test(normal)
        ? { kind: 'asset', output: `files/${normal}`, referrers: new Set() }
        : { kind: 'file', output: `src/${normal}.html`, referrers: new Set() };
    extras.set(normal, known);
  }
  known.referrers.add(referrer);
  return known.output;
}

/** The warnings with repeats folded: `docs/glossary.md: link to part1/README.md, which does not exist (12 times)`. */
export function summarizeWarnings(warnings: string[]): string[] {
  const counts = new Map<string, number>();
  for (const warning of warnings) counts.set(warning, (counts.get(warning) ?? 0) + 1);
  return [...counts].map(([warning, n]) => (n > 1 ? `${warning} (${n} times)` : warning));
}

/** What the build says about blocks an exercise changed ('' when none): each is built with a note. */
export function describeEdited(edited: Edited[]): string {
  if (edited.length === 0) return '';
  const lines = edited.map((block) => `  ${block.lesson}:${block.line} shows ${block.shows}: ${block.reason}`);
  const what = `${edited.length} lesson block${edited.length === 1 ? '' : 's'} show${edited.length === 1 ? 's' : ''} the course's code where your exercises changed it`;
  return `${what} (the page says so beside each):\n${lines.join('\n')}`;
}

/** One line per page kind, for the CLI and `npm start`. */
export function describeBuild(result: BuildResult, root = REPO_ROOT): string {
  const where = relative(root, result.outDir) || result.outDir;
  const pages = `${result.pages.length} page${result.pages.length === 1 ? '' : 's'}`;
  const sources = `${result.sourcePages} source page${result.sourcePages === 1 ? '' : 's'}`;
  return `Built ${pages} and ${sources} (${result.searchSections} sections searchable) into ${where}/ in ${Math.round(result.ms)} ms`;
}
