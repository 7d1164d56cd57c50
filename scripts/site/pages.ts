/**
 * The course's reading order: every page of the site, in the one order the
 * sidebar (a menu on a phone), previous/next and "lesson N of M" follow.
 *
 * To add a page: write the markdown, then add one line here where a student
 * should read it. The build fails on a lesson or guide that is in no list
 * (and on a line here whose file is gone), so a page cannot be left out.
 *
 * - `lesson`: the main path, numbered "lesson N of M" (a part's README, 2b,
 *   Part 3's numbered lessons);
 * - `reference`: a page the main path links to for the whole story (Part 2's
 *   rules, refusals, listings...), marked as such in the sidebar;
 * - `guide`: the home page, compare, the glossary.
 */

/** How a page stands in the course. */
export type PageKind = 'lesson' | 'reference' | 'guide';

/** One page of the reading order. */
export interface PageEntry {
  /** Repo path of the markdown: `part2/lessons/persistent.md`. */
  source: string;
  kind: PageKind;
  /** The sidebar's group: `Part 2`, `Guides`. Pages of a group stay together. */
  group: string;
  /** A short name for the sidebar, when the h1 is long: `2b: persistent connections`. */
  short?: string;
}

/** The course, in reading order. */
export const COURSE_PAGES: PageEntry[] = [
  { source: 'docs/index.md', kind: 'guide', group: 'Start', short: 'Home' },
  { source: 'part1/README.md', kind: 'lesson', group: 'Part 1', short: 'Part 1: a web server on a raw socket' },
  { source: 'part1/lessons/closing.md', kind: 'reference', group: 'Part 1', short: 'What closing costs' },
  { source: 'part2/README.md', kind: 'lesson', group: 'Part 2', short: 'Part 2: a gateway' },
  { source: 'part2/lessons/listings.md', kind: 'reference', group: 'Part 2' },
  { source: 'part2/lessons/rules.md', kind: 'reference', group: 'Part 2' },
  { source: 'part2/lessons/refusals.md', kind: 'reference', group: 'Part 2' },
  { source: 'part2/lessons/smuggling.md', kind: 'reference', group: 'Part 2', short: 'Request smuggling' },
  { source: 'part2/lessons/python.md', kind: 'reference', group: 'Part 2' },
  { source: 'part2/lessons/fetch.md', kind: 'reference', group: 'Part 2', short: 'The fetch handler' },
  { source: 'part2/lessons/frameworks.md', kind: 'reference', group: 'Part 2', short: 'Express, Fastify and Koa' },
  { source: 'part2/lessons/persistent.md', kind: 'lesson', group: 'Part 2', short: '2b: persistent connections' },
  { source: 'part3/README.md', kind: 'lesson', group: 'Part 3', short: 'Part 3: many clients at once' },
  { source: 'part3/lessons/01-fork.md', kind: 'lesson', group: 'Part 3' },
  { source: 'part3/lessons/02-zombies.md', kind: 'lesson', group: 'Part 3' },
  { source: 'part3/lessons/03-gateway.md', kind: 'lesson', group: 'Part 3', short: 'What a child costs' },
  { source: 'part3/lessons/04-pool.md', kind: 'lesson', group: 'Part 3' },
  { source: 'part3/lessons/05-wrap-up.md', kind: 'lesson', group: 'Part 3', short: 'The course serves itself' },
  { source: 'part3/lessons/measured.md', kind: 'reference', group: 'Part 3', short: 'Every model, measured' },
  { source: 'docs/compare.md', kind: 'guide', group: 'Guides' },
  { source: 'docs/glossary.md', kind: 'guide', group: 'Guides' },
];

/**
 * What is wrong between the lessons found on disk and a reading order: a
 * lesson in no list, a listed page that does not exist, a page listed twice.
 * Empty when they agree.
 */
export function checkPageOrder(found: string[], order: PageEntry[]): string[] {
  const listed = order.map((entry) => entry.source);
  const problems: string[] = [];
  for (const source of found) {
    if (!listed.includes(source)) problems.push(`${source} is in no list: add it to the reading order in scripts/site/pages.ts (CONTRIBUTING.md, "Add a page")`);
  }
  for (const source of listed) {
    if (!found.includes(source)) problems.push(`scripts/site/pages.ts lists ${source}, which does not exist`);
  }
  const twice = listed.filter((source, i) => listed.indexOf(source) !== i);
  for (const source of new Set(twice)) problems.push(`scripts/site/pages.ts lists ${source} twice`);
  return problems;
}
