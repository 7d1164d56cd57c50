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
  /** True for the section the page belongs to. */
  current: boolean;
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
  const url = (to: string) => relativeUrl(page.output, to);
  const nav = page.nav
    .map((item) => `<li><a href="${url(item.href)}"${item.current ? ' aria-current="page"' : ''}>${escapeHtml(item.label)}</a></li>`)
    .join('');
  const headings = page.headings ?? [];
  const toc =
    headings.length >= 2
      ? `<nav class="toc" aria-label="On this page"><details open><summary>On this page</summary><ol>${headings
          .map((h) => `<li class="toc-h${h.level}"><a href="#${escapeHtml(h.id)}">${h.html}</a></li>`)
          .join('')}</ol></details></nav>`
      : '';
  const pager =
    page.prev || page.next
      ? `<nav class="pager" aria-label="Previous and next page">${
          page.prev ? `<a class="prev" rel="prev" href="${url(page.prev.href)}"><span class="dir">← Previous</span>${escapeHtml(page.prev.title)}</a>` : '<span></span>'
        }${page.next ? `<a class="next" rel="next" href="${url(page.next.href)}"><span class="dir">Next →</span>${escapeHtml(page.next.title)}</a>` : ''}</nav>`
      : '';
  const title = page.title === COURSE_TITLE ? COURSE_TITLE : `${page.title} · ${COURSE_TITLE}`;
  // The site's root as seen from this page ('' or '../'): site.js finds the search index there.
  const up = posix.relative(posix.dirname(page.output), '.');
  return `<!doctype html>
<html lang="en" data-root="${up ? `${up}/` : ''}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${THEME_SCRIPT}
<link rel="stylesheet" href="${url('site.css')}">
<link rel="icon" href="data:,">
<script src="${url('site.js')}" defer></script>
</head>
<body${toc ? ' class="has-toc"' : ''}>
<a class="skip" href="#main">Skip to the content</a>
<header class="site-header">
<a class="brand" href="${url('index.html')}">Let's Build A Web Server <span>in TypeScript</span></a>
<nav class="site-nav" aria-label="Course"><ul>${nav}</ul></nav>
<div class="tools">${searchBox()}<button type="button" class="theme-toggle" aria-pressed="false" title="Dark theme"><span aria-hidden="true">◐</span> <span class="theme-label">Dark</span></button></div>
</header>
<div class="layout">
${toc}
<main id="main">
${page.kicker ? `<p class="kicker">${page.kicker}</p>\n` : ''}${page.body}
${pager}
</main>
</div>
<footer class="site-footer"><p>${page.source ? `This page is <code>${escapeHtml(page.source)}</code> in the course repo, built by <code>npm run docs</code>.` : 'Built by <code>npm run docs</code> from the course repo.'}</p><p class="served-by"><!-- served-by --></p></footer>
${toc ? TOC_SCRIPT : ''}
</body>
</html>
`;
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

// On a narrow screen the table of contents sits above the lesson: fold it so
// the lesson starts on the first screen. Without JavaScript it simply stays open.
const TOC_SCRIPT = `<script>if (matchMedia('(max-width: 68rem)').matches) document.querySelector('.toc details')?.removeAttribute('open');</script>`;
