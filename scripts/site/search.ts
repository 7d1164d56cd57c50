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
 * The index holds only the lessons and guides (about 1 MB of prose and code); the
 * source pages are reached from the lessons that show them.
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
}

/**
 * The index options, the same at build time and in the browser (site.js
 * passes them to MiniSearch.loadJS). Only `text` is stored besides the
 * titles: the result list shows a snippet of it around the word found.
 */
export const SEARCH_OPTIONS = {
  fields: ['title', 'text', 'code'],
  storeFields: ['title', 'page', 'text'],
} satisfies Options<SearchSection>;

/** How a query is run, in the test as in the browser: a word found in a heading counts most. */
export const SEARCH_QUERY = { prefix: true, fuzzy: 0.15, combineWith: 'AND', boost: { title: 4, text: 1, code: 0.4 } } as const;

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

/** A MiniSearch index of `sections`. */
export function buildIndex(sections: SearchSection[]): MiniSearch<SearchSection> {
  const index = new MiniSearch<SearchSection>(SEARCH_OPTIONS);
  index.addAll(sections);
  return index;
}

/**
 * The script the pages load: `window.courseSearch = {options, query, index}`.
 * `</` is escaped so no text of a lesson can close the script element.
 */
export function searchScript(index: MiniSearch<SearchSection>): string {
  const data = JSON.stringify({ options: SEARCH_OPTIONS, query: SEARCH_QUERY, index }).replace(/<\//g, '<\\/');
  return `// The course's search index, written by npm run docs (scripts/site/search.ts).\nwindow.courseSearch = ${data};\n`;
}

/** The search box of the header; site.js shows it and fills the result list (without JavaScript it stays hidden). */
export function searchBox(): string {
  const label = 'Search the course';
  return (
    `<div class="search" role="search">` +
    `<input type="search" id="search-input" placeholder="Search the course" title="Search the course (press /)" aria-label="${escapeHtml(label)}" ` +
    `autocomplete="off" spellcheck="false" aria-controls="search-results" aria-expanded="false">` +
    `<div id="search-results" class="search-results" hidden></div></div>`
  );
}
