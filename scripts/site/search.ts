/**
 * The site's search index: every lesson, glossary and guide page cut into
 * its sections (one per h1/h2/h3 heading), indexed with MiniSearch at build
 * time and written as a script the pages load when a student first types in
 * the search box.
 *
 * Why MiniSearch, and an index of sections built here (design note):
 * - A result must open the section that explains a word, not a 45,000 px
 *   page; a document per heading makes every hit a `page.html#heading` link.
 * - The site must work offline from `npm start`, from any static server and
 *   from a file:// URL (the build prints one). The index is a plain script
 *   (`search-index.js`), loaded by a <script> tag, which file:// allows;
 *   Pagefind fetches its index chunks and WebAssembly, which file:// does not,
 *   and it needs a platform binary run after the build.
 * - MiniSearch is small (one 86 KB file, no dependencies), maintained, and runs
 *   in this process: indexing the whole course takes tens of ms of the build,
 *   and the same index can be searched in a plain unit test.
 * The index holds the lessons and guides (about 1 MB of prose and code), and
 * the names each TypeScript source file exports (`startResponse` opens
 * part2/handler.ts at its line).
 */
import MiniSearch, { type Options } from 'minisearch';
import { escapeHtml } from './markdown.ts';

/** One searchable section of a page. */
export interface SearchSection {
  /** `part3/02-zombies.html#what-a-zombie-is`; the page alone for text before the first heading. */
  id: string;
  /** The heading's text: `What a zombie is`. */
  title: string;
  /** The page's title: `Zombies and the grim reaper`. */
  page: string;
  /** The prose of the section, as plain text. */
  text: string;
  /** The code blocks of the section, as plain text: found, but weighed less than prose. */
  code: string;
  /**
   * A name a source file exports (`startResponse`): its section's title too,
   * but indexed as a name, below a lesson's headings and above passing mentions.
   */
  name?: string;
}

/**
 * The index options, the same at build time and in the browser (site.js
 * passes them to MiniSearch.loadJS). Only `text` is stored besides the
 * titles: the result list shows a snippet of it around the word found.
 */
export const SEARCH_OPTIONS = {
  fields: ['title', 'name', 'text', 'code'],
  storeFields: ['title', 'name', 'page', 'text'],
} satisfies Options<SearchSection>;

// The two functions below run at build time (here) and in the browser (site.js
// gets them from search-index.js): one source text, so both sides agree.

/**
 * A light English stemmer, so a word matches its forms: "chunked", "chunks"
 * and "chunk" are one term, and a heading "now with chunks" answers "chunked".
 * Lower case first, as MiniSearch's default.
 */
const STEM_SOURCE = `function (term) {
  var t = term.toLowerCase();
  if (t.length > 5 && /ing$/.test(t)) return t.slice(0, -3);
  if (t.length > 4 && /ied$|ies$/.test(t)) return t.slice(0, -3) + 'y';
  if (t.length > 4 && /ed$/.test(t)) return t.slice(0, -2);
  if (t.length > 4 && /es$/.test(t) && /(ch|sh|ss|x)es$/.test(t)) return t.slice(0, -2);
  if (t.length > 3 && /[^s]s$/.test(t)) return t.slice(0, -1);
  return t;
}`;

/**
 * Sections whose heading holds a word of the query come first, best score
 * first, then the names of the source files, then the passing mentions: a
 * student asking "chunked" wants the section about chunks before every page
 * that mentions them once.
 */
const RANK_SOURCE = `function (results) {
  function inTitle(result) {
    return Object.keys(result.match).some(function (term) { return result.match[term].indexOf('title') !== -1; });
  }
  function inName(result) {
    return !inTitle(result) && Object.keys(result.match).some(function (term) { return result.match[term].indexOf('name') !== -1; });
  }
  return results.filter(inTitle).concat(results.filter(inName), results.filter(function (result) { return !inTitle(result) && !inName(result); }));
}`;

/** {@link STEM_SOURCE}, callable here. */
export const stem = new Function(`return ${STEM_SOURCE}`)() as (term: string) => string;

/** {@link RANK_SOURCE}, callable here. */
export const rankResults = new Function(`return ${RANK_SOURCE}`)() as <T extends { match: Record<string, string[]> }>(results: T[]) => T[];

/** The index's options with the stemmer: what MiniSearch needs at build time and in the browser alike. */
export const INDEX_OPTIONS: Options<SearchSection> = {
  ...SEARCH_OPTIONS,
  processTerm: stem,
  // A source file's name is indexed as a name, not as a heading (used at build time only).
  extractField: (section, field) => (field === 'title' && section.name ? '' : (section[field as keyof SearchSection] ?? '')),
};

/** How a query is run, in the test as in the browser: a word found in a heading counts most. */
export const SEARCH_QUERY = { prefix: true, fuzzy: 0.15, combineWith: 'AND', boost: { title: 4, name: 3, text: 1, code: 0.4 } } as const;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** HTML to plain text: tags dropped, the few entities the renderer writes decoded, spaces folded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_m, name: string) => ENTITIES[name]!)
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Cuts a rendered page into sections at its h1, h2 and h3 headings (each has
 * an id, from markdown-it-anchor). Diagrams are left out (their text is
 * labels, described in the prose), code goes to its own field.
 *
 * @param output the page's site path: `part3/02-zombies.html`
 */
export function pageSections(output: string, pageTitle: string, html: string): SearchSection[] {
  const body = html.replace(/<svg[\s\S]*?<\/svg>/g, ' ');
  const sections: SearchSection[] = [];
  // Each piece starts at a heading; the first piece is what comes before any heading.
  const pieces = body.split(/(?=<h[123][\s>])/);
  for (const piece of pieces) {
    const heading = /^<h([123])([^>]*)>([\s\S]*?)<\/h\1>/.exec(piece);
    const headingId = heading ? /\sid="([^"]+)"/.exec(heading[2]!)?.[1] : undefined;
    const rest = heading ? piece.slice(heading[0].length) : piece;
    const code = [...rest.matchAll(/<pre[\s>][\s\S]*?<\/pre>/g)].map((m) => htmlToText(m[0])).join(' ');
    const text = htmlToText(rest.replace(/<pre[\s>][\s\S]*?<\/pre>/g, ' ').replace(/<figcaption[\s\S]*?<\/figcaption>/g, ' '));
    // The heading's "#" permalink is not part of its title.
    const title = heading ? htmlToText(heading[3]!.replace(/<a class="anchor"[^>]*>#<\/a>/, '')) : pageTitle;
    const id = headingId && heading![1] !== '1' ? `${output}#${headingId}` : output;
    if (!text && !code && heading?.[1] !== '1') continue;
    // Two pieces may share a page id (an h1 after the page's opening text): keep one document each.
    const same = sections.find((section) => section.id === id);
    if (same) {
      same.text = `${same.text} ${text}`.trim();
      same.code = `${same.code} ${code}`.trim();
    } else {
      sections.push({ id, title, page: pageTitle, text, code });
    }
  }
  return sections;
}

/**
 * The names a source file exports, as sections that open its source page at
 * their line: `startResponse` finds part2/handler.ts. Exported functions,
 * classes, constants, types and interfaces, and the public members of an
 * exported class (`ResponseHandler.startResponse`).
 *
 * @param output the source page's site path: `src/part2/handler.ts.html`
 * @param repoPath `part2/handler.ts`
 */
export function sourceSections(output: string, repoPath: string, source: string): SearchSection[] {
  const sections: SearchSection[] = [];
  let inClass: string | undefined;
  source.split('\n').forEach((line, i) => {
    const top = /^export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/.exec(line);
    if (top) {
      inClass = top[1] === 'class' && !line.trimEnd().endsWith('}') ? top[2] : undefined;
      sections.push({ id: `${output}#L${i + 1}`, title: top[2]!, name: top[2]!, page: repoPath, text: `${top[1]} ${top[2]} in ${repoPath}`, code: line.trim() });
      return;
    }
    if (/^\S/.test(line)) inClass = undefined;
    const member = inClass ? /^ {2}(?:static\s+|readonly\s+|async\s+|public\s+|get\s+|set\s+)*([A-Za-z_$][\w$]*)\s*[(:=<]/.exec(line) : null;
    if (member && member[1] !== 'constructor' && !/^\s*(?:private|protected)\b|^ {2}#/.test(line)) {
      sections.push({ id: `${output}#L${i + 1}`, title: member[1]!, name: member[1]!, page: repoPath, text: `${inClass}.${member[1]} in ${repoPath}`, code: line.trim() });
    }
  });
  return sections;
}

/** A MiniSearch index of `sections`. */
export function buildIndex(sections: SearchSection[]): MiniSearch<SearchSection> {
  const index = new MiniSearch<SearchSection>(INDEX_OPTIONS);
  index.addAll(sections);
  return index;
}

/**
 * The script the pages load: `window.courseSearch = {options, query, index}`.
 * `</` is escaped so no text of a lesson can close the script element.
 */
export function searchScript(index: MiniSearch<SearchSection>): string {
  const data = JSON.stringify({ options: SEARCH_OPTIONS, query: SEARCH_QUERY, index }).replace(/<\//g, '<\\/');
  return (
    `// The course's search index, written by npm run docs (scripts/site/search.ts).\nwindow.courseSearch = ${data};\n` +
    `window.courseSearch.stem = ${STEM_SOURCE};\nwindow.courseSearch.rank = ${RANK_SOURCE};\n`
  );
}

/**
 * The search box of the header, as the ARIA combobox pattern: the input
 * controls a listbox of results, the result under the arrow keys is its
 * active descendant, and a status line says how many were found, so a
 * screen reader hears the results arrive. site.js shows it and fills it
 * (without JavaScript it stays hidden).
 */
export function searchBox(): string {
  const label = 'Search the course';
  return (
    `<div class="search" role="search">` +
    `<input type="search" id="search-input" placeholder="Search the course" title="Search the course (press /)" aria-label="${escapeHtml(label)}" ` +
    `autocomplete="off" spellcheck="false" role="combobox" aria-autocomplete="list" aria-controls="search-list" aria-expanded="false">` +
    `<div id="search-results" class="search-results" hidden><div role="listbox" id="search-list" aria-label="Search results"></div>` +
    `<p class="search-none" hidden></p></div>` +
    `<p id="search-status" class="visually-hidden" role="status"></p></div>`
  );
}
