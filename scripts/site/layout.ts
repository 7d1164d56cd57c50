/**
 * The frame around every page of the course site: header with the course
 * title and the parts, a table of contents, previous/next links, a footer.
 * Plain HTML and one stylesheet: every page reads without JavaScript, offline,
 * from a projector and on a phone. site.js adds what needs a script (search,
 * copy buttons, the theme toggle, scroll hints); without it they are hidden.
 */
import { posix } from 'node:path';
import { escapeHtml, relativeUrl, type Heading } from './markdown.ts';
import { searchBox } from './search.ts';

/** The course's name, in the header and every page title. */
export const COURSE_TITLE = "Let's Build A Web Server, in TypeScript";

/** A link of the header navigation. */
export interface NavItem {
  label: string;
  /** Site path: `part1/index.html`. */
  href: string;
  /** True on the page it links to: only that link gets aria-current="page". */
  current: boolean;
  /** True for the section the page belongs to (Part 2 for its reference pages): underlined, not announced. */
  inSection: boolean;
}

/** A page of the reading order, for the sidebar (a menu on a phone). */
export interface CourseLink {
  /** Its short name (scripts/site/pages.ts) or title. */
  title: string;
  /** Site path. */
  href: string;
  kind: 'lesson' | 'reference' | 'guide';
  /** The sidebar's group: `Part 2`. */
  group: string;
  /** True for the page being shown. */
  current: boolean;
  /** Its number on the main path (lessons only). */
  lesson?: number;
}

/** A neighbour page, for the previous/next links. */
export interface PageLink {
  title: string;
  /** Site path. */
  href: string;
}

/** Everything {@link renderLayout} puts around a page's body. */
export interface LayoutInput {
  /** Site path of this page, for relative links: `part1/index.html`. */
  output: string;
  /** The page's title (its h1 as text). */
  title: string;
  /** The rendered body. */
  body: string;
  nav: NavItem[];
  /** Every page in reading order: the sidebar. */
  course?: CourseLink[];
  /** Its place on the main path: "Lesson 3 of 9". */
  lesson?: { n: number; of: number };
  /** The next page of the main path, when `next` is a reference page. */
  nextLesson?: PageLink;
  /** Links from the site's root (`/site.css`): the 404 page, which the server sends at any depth. */
  fromRoot?: boolean;
  /** h2/h3 headings; a table of contents appears from two on. */
  headings?: Heading[];
  prev?: PageLink;
  next?: PageLink;
  /** Repo path the page is made from, named in the footer. */
  source?: string;
  /** Small line above the h1 of pages without their own h1 (source pages). */
  kicker?: string;
}

/** A whole HTML document for one page of the site. */
export function renderLayout(page: LayoutInput): string {
  const url = (to: string) => (page.fromRoot ? `/${encodeURI(to)}` : relativeUrl(page.output, to));
  const nav = page.nav
    .map((item) => `<li><a href="${url(item.href)}"${item.current ? ' aria-current="page"' : ''}${item.inSection ? ' class="in-section"' : ''}>${escapeHtml(item.label)}</a></li>`)
    .join('');
  const headings = page.headings ?? [];
  const toc =
    headings.length >= 2
      ? `<nav class="toc" aria-label="On this page"><details open><summary>On this page</summary><ol>${headings
          .map((h) => `<li class="toc-h${h.level}"><a href="#${escapeHtml(h.id)}">${h.html}</a></li>`)
          .join('')}</ol></details></nav>`
      : '';
  const sidebar = page.course?.length || toc ? `<div class="sidebar">\n${courseNav(page, url)}${toc}\n</div>\n` : '';
  const kicker = page.kicker ?? (page.lesson ? `Lesson ${page.lesson.n} of ${page.lesson.of}` : page.course?.find((link) => link.current)?.kind === 'reference' ? 'Reference page' : undefined);
  const pager =
    page.prev || page.next
      ? `<nav class="pager" aria-label="Previous and next page">${
          page.prev ? `<a class="prev" rel="prev" href="${url(page.prev.href)}"><span class="dir">← Previous</span>${escapeHtml(page.prev.title)}</a>` : '<span></span>'
        }${page.next ? `<a class="next" rel="next" href="${url(page.next.href)}"><span class="dir">Next →</span>${escapeHtml(page.next.title)}</a>` : ''}${
          page.nextLesson ? `<p class="skip-ahead">Or skip the reference pages: the next lesson is <a href="${url(page.nextLesson.href)}">${escapeHtml(page.nextLesson.title)}</a>.</p>` : ''
        }</nav>`
      : '';
  const title = page.title === COURSE_TITLE ? COURSE_TITLE : `${page.title} · ${COURSE_TITLE}`;
  // The site's root as seen from this page ('' or '../'): site.js finds the search index there.
  const up = page.fromRoot ? '/' : posix.relative(posix.dirname(page.output), '.');
  return `<!doctype html>
<html lang="en" data-root="${up ? `${up.replace(/\/$/, '')}/` : ''}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${THEME_SCRIPT}
<link rel="stylesheet" href="${url('site.css')}">
<link rel="icon" href="${url('favicon.svg')}" type="image/svg+xml">
<script src="${url('site.js')}" defer></script>
</head>
<body class="has-sidebar">
<a class="skip" href="#main">Skip to the content</a>
<header class="site-header">
<a class="brand" href="${url('index.html')}">Let's Build A Web Server <span>in TypeScript</span></a>
<nav class="site-nav" aria-label="Parts"><ul>${nav}</ul></nav>
<div class="tools">${searchBox()}<button type="button" class="theme-toggle" aria-pressed="false"><span aria-hidden="true">◐</span> Dark theme</button></div>
</header>
<div class="layout">
${sidebar}<main id="main">
${kicker ? `<p class="kicker">${kicker}</p>\n` : ''}${page.body}
${pager}
</main>
</div>
<footer class="site-footer"><p>${page.source ? `This page is <code>${escapeHtml(page.source)}</code> in the course repo, built by <code>npm run docs</code>.` : 'Built by <code>npm run docs</code> from the course repo.'}</p><p class="served-by"><!-- served-by --></p></footer>
${sidebar ? FOLD_SCRIPT : ''}
</body>
</html>
`;
}

/**
 * The sidebar's list of every page in reading order, grouped by part, the
 * current page marked (aria-current) and numbered lessons numbered. A
 * <details> so a phone shows it as a menu, folded; on a desktop it is open
 * and folds and unfolds with the same click or key.
 */
function courseNav(page: LayoutInput, url: (to: string) => string): string {
  const links = page.course ?? [];
  if (!links.length) return '';
  const groups: { name: string; links: CourseLink[] }[] = [];
  for (const link of links) {
    const last = groups[groups.length - 1];
    if (last?.name === link.group) last.links.push(link);
    else groups.push({ name: link.group, links: [link] });
  }
  const item = (link: CourseLink) =>
    `<li class="${link.kind}"><a href="${url(link.href)}"${link.current ? ' aria-current="page"' : ''}>` +
    (link.lesson ? `<span class="n">${link.lesson}</span> ` : '') +
    `${escapeHtml(link.title)}</a></li>`;
  // A run of reference pages is a list of its own under its lesson, headed "Reference pages".
  const items = (list: CourseLink[]) => {
    let html = '';
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.kind !== 'reference') {
        html += item(list[i]!);
        continue;
      }
      let end = i;
      while (list[end + 1]?.kind === 'reference') end++;
      html += `<li class="references"><span class="sub">Reference pages</span><ol>${list.slice(i, end + 1).map(item).join('')}</ol></li>`;
      i = end;
    }
    return html;
  };
  const where = page.lesson ? `: lesson ${page.lesson.n} of ${page.lesson.of}` : '';
  return (
    `<nav class="course-nav" aria-label="Course"><details open><summary>Course${where}</summary><ol class="groups">` +
    groups.map((group) => `<li><span class="group">${escapeHtml(group.name)}</span><ol>${items(group.links)}</ol></li>`).join('') +
    `</ol></details></nav>\n`
  );
}

// Before the stylesheet applies, so a dark page never flashes white: the theme
// the student chose on this site (site.js remembers it), else the system's
// prefers-color-scheme. The "js" class shows what only works with a script.
const THEME_SCRIPT = `<script>(function () {
  var root = document.documentElement, theme = null;
  root.classList.add('js');
  try { theme = localStorage.getItem('theme'); } catch (e) { /* storage off: follow the system */ }
  if (theme !== 'dark' && theme !== 'light') theme = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  root.dataset.theme = theme;
})();</script>`;

// On a narrow screen the course menu and the table of contents sit above the
// lesson: fold them so the lesson starts on the first screen. Without
// JavaScript they simply stay open.
const FOLD_SCRIPT = `<script>if (matchMedia('(max-width: 68rem)').matches) document.querySelectorAll('.sidebar details').forEach(function (d) { d.removeAttribute('open'); });</script>`;
