/**
 * The course site's markdown renderer: markdown-it with anchors, boxes and
 * highlight.js, taught the repo's conventions.
 *
 * Lessons are written for GitHub first (a part's README.md shows under its
 * code), so the renderer makes GitHub-style markdown work on the site:
 * relative links to other lessons become links to their pages, links to
 * source files become links to highlighted copies, SVG diagrams are inlined,
 * `file=` and `transcript=` blocks get a caption naming their source, and
 * GitHub's `> [!TIP]` alerts render like `::: tip` boxes.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import markdownIt, { type Env, type MarkdownIt, type StateCore, type Token } from 'markdown-it';
import anchor from 'markdown-it-anchor';
import container from 'markdown-it-container';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import http from 'highlight.js/lib/languages/http';
import ini from 'highlight.js/lib/languages/ini';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import shell from 'highlight.js/lib/languages/shell';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { parseInfo, readSource } from './lessons.ts';

// Only the languages a web-server course shows: loading all ~190 would cost
// a few hundred ms of every build for nothing.
for (const [name, language] of Object.entries({ bash, css, diff, http, ini, javascript, json, markdown, plaintext, python, shell, typescript, xml, yaml })) {
  hljs.registerLanguage(name, language);
}
hljs.registerAliases(['sh', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['terminal'], { languageName: 'shell' });

/** What the renderer needs to know about the site it renders into, and what it reports back. */
export interface SiteContext {
  /** Repo root, absolute. */
  root: string;
  /** Lesson markdown (repo path) -> its page (site path): `part1/README.md` -> `part1/index.html`. */
  pages: Map<string, string>;
  /**
   * Resolves a repo path that is not a lesson to a site path and remembers
   * that the site must have it: a source file -> `src/PATH.html`, a folder ->
   * its listing, a picture -> its copy. Returns undefined when nothing is there.
   */
  resolveFile: (repoPath: string, referrer: string) => string | undefined;
  /** Problems worth a warning: broken links, missing pictures. */
  warnings: string[];
  /** Links into another page's heading (`README.md#x`), checked once every page is rendered. */
  anchorLinks: { source: string; page: string; id: string }[];
  /** `LESSON:LINE` of blocks a student's exercise changed the source of -> why (lessons.ts Edited). */
  edited?: Map<string, string>;
  /** Diagram pages to write: site path (`diagrams/part3-zombie.html`) -> the SVG's copy and its alt text. */
  diagrams?: Map<string, { svg: string; alt: string; title: string; width: number; referrer: string }>;
}

/** Per render: where the markdown comes from and where its page goes. */
export interface RenderEnv extends Env {
  /** Repo path of the markdown: `part1/README.md`. */
  source: string;
  /** Site path of the page: `part1/index.html`. */
  output: string;
  /** Counts inlined SVGs, so each gets its own id prefix. */
  svgCount?: number;
}

/** A heading of a page, for its table of contents. */
export interface Heading {
  level: number;
  id: string;
  /** Inner HTML: text and inline code only. */
  html: string;
}

/** What {@link renderPage} returns. */
export interface RenderedPage {
  html: string;
  /** The first h1 as plain text, or undefined. */
  title: string | undefined;
  /** The h2 and h3 headings, in order. */
  headings: Heading[];
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The anchor GitHub gives a heading, so `README.md#the-accept-loop` works on
 * GitHub and on the site alike: lower case, punctuation dropped, each space a hyphen.
 */
export function githubSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/**
 * Highlights `code` as `lang` (any highlight.js name or alias we load) and
 * returns HTML. Unknown languages come back escaped, not highlighted.
 */
export function highlight(code: string, lang: string): string {
  const name = lang.toLowerCase();
  if (name && hljs.getLanguage(name)) return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  return escapeHtml(code);
}

/**
 * Splits highlight.js output into lines, closing the spans still open at each
 * line end and reopening them on the next line (a block comment spans many
 * lines), so every line can be its own element with its own anchor.
 */
export function splitHighlightedLines(html: string): string[] {
  const lines: string[] = [];
  const open: string[] = [];
  let current = '';
  for (const [piece] of html.matchAll(/<span[^>]*>|<\/span>|\n|[^<\n]+/g)) {
    if (piece.startsWith('<span')) {
      open.push(piece);
      current += piece;
    } else if (piece === '</span>') {
      open.pop();
      current += piece;
    } else if (piece === '\n') {
      lines.push(current + '</span>'.repeat(open.length));
      current = open.join('');
    } else {
      current += piece;
    }
  }
  lines.push(current);
  return lines;
}

/** A site path as seen from the page at `from`: `relativeUrl('part1/index.html', 'src/x.html')` is `../src/x.html`. */
export function relativeUrl(from: string, to: string): string {
  const relative = posix.relative(posix.dirname(from), to);
  return encodeURI(relative || posix.basename(to));
}

/** Box names for `::: NAME [title]`, with their default titles. */
const BOXES: Record<string, string> = { tip: 'Tip', note: 'Note', warning: 'Warning', exercise: 'Exercise', important: 'Important', caution: 'Caution' };

/**
 * Builds the markdown-it instance for the site.
 * Render with {@link renderPage}, which passes the env this renderer expects.
 */
export function createRenderer(site: SiteContext): MarkdownIt {
  const md = markdownIt({ html: true, linkify: false, typographer: false });
  md.use(anchor, {
    level: [1, 2, 3, 4],
    slugify: githubSlug,
    // The "#" is for the mouse (copy a section's link); hidden from screen readers, it must not
    // take keyboard focus either (WCAG: no focusable content under aria-hidden).
    permalink: anchor.permalink.linkInsideHeader({ symbol: '#', placement: 'before', ariaHidden: true, class: 'anchor', renderAttrs: () => ({ tabindex: '-1' }) }),
  });
  for (const [name, defaultTitle] of Object.entries(BOXES)) {
    md.use(container, name, {
      render(tokens: Token[], idx: number) {
        const token = tokens[idx]!;
        if (token.nesting !== 1) return '</aside>\n';
        const title = token.info.trim().slice(name.length).trim() || defaultTitle;
        return `<aside class="box box-${name}"><p class="box-title">${md.renderInline(title)}</p>\n`;
      },
    });
  }
  // `::: details Solution` folds its content away until the student asks.
  md.use(container, 'details', {
    render(tokens: Token[], idx: number) {
      const token = tokens[idx]!;
      if (token.nesting !== 1) return '</details>\n';
      const title = token.info.trim().slice('details'.length).trim() || 'Show';
      return `<details class="box box-details"><summary>${md.renderInline(title)}</summary>\n`;
    },
  });
  md.core.ruler.after('inline', 'github-alerts', githubAlerts);
  md.renderer.rules.blockquote_open = (tokens, idx, options, _env, self) => {
    const alert = tokens[idx]!.meta?.alert as string | undefined;
    if (!alert) return self.renderToken(tokens, idx, options);
    return `<aside class="box box-${alert}"><p class="box-title">${BOXES[alert]}</p>\n`;
  };
  md.renderer.rules.blockquote_close = (tokens, idx, options, _env, self) =>
    tokens[idx]!.meta?.alert ? '</aside>\n' : self.renderToken(tokens, idx, options);

  md.renderer.rules.fence = (tokens, idx, _options, env) => renderFence(site, tokens[idx]!, env as RenderEnv);
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const href = token.attrGet('href');
    if (href) token.attrSet('href', rewriteHref(site, String(href), env as RenderEnv));
    return self.renderToken(tokens, idx, options);
  };
  md.renderer.rules.image = (tokens, idx, _options, env) => renderImage(site, md, tokens[idx]!, env as RenderEnv);
  return md;
}

/**
 * Renders one lesson to HTML, with its title and its h2/h3 headings for the
 * table of contents.
 */
export function renderPage(md: MarkdownIt, markdownText: string, env: RenderEnv): RenderedPage {
  const tokens = md.parse(markdownText, env);
  let title: string | undefined;
  const headings: Heading[] = [];
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open') return;
    const level = Number(token.tag.slice(1));
    const inline = tokens[i + 1]!;
    const children = (inline.children ?? []).filter((child) => child.type === 'text' || child.type === 'code_inline');
    if (level === 1 && title === undefined) title = children.map((child) => child.content).join('').trim();
    if (level === 2 || level === 3) {
      const html = children.map((child) => (child.type === 'code_inline' ? `<code>${escapeHtml(child.content)}</code>` : escapeHtml(child.content))).join('');
      headings.push({ level, id: String(token.attrGet('id') ?? ''), html: html.trim() });
    }
  });
  return { html: md.renderer.render(tokens, md.options, env), title, headings };
}

/** `> [!TIP]` (GitHub's alert syntax) becomes a box, like `::: tip`. */
function githubAlerts(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.type !== 'blockquote_open' || tokens[i + 1]?.type !== 'paragraph_open') continue;
    const inline = tokens[i + 2]!;
    const match = /^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(?:\n|$)/i.exec(inline.content);
    if (!match) continue;
    const alert = match[1]!.toLowerCase();
    // Take the marker out of the paragraph: its first text token, and the line break after it.
    const children = inline.children ?? [];
    if (children[0]?.type === 'text') children[0].content = children[0].content.replace(/^\[![A-Za-z]+\][ \t]*/, '');
    if (children[0]?.content === '' && children[1]?.type === 'softbreak') children.splice(0, 2);
    tokens[i]!.meta = { ...tokens[i]!.meta, alert };
    let depth = 0;
    for (let j = i; j < tokens.length; j++) {
      if (tokens[j]!.type === 'blockquote_open') depth++;
      if (tokens[j]!.type === 'blockquote_close' && --depth === 0) {
        tokens[j]!.meta = { ...tokens[j]!.meta, alert };
        break;
      }
    }
  }
}

/** A fenced block: highlighted by its first word; `file=`, `transcript=` and `terminal=` blocks get a caption. */
function renderFence(site: SiteContext, token: Token, env: RenderEnv): string {
  const { lang, attrs } = parseInfo(token.info);
  const code = linesOf(token.content, lang);
  const langClass = lang ? ` language-${escapeHtml(lang)}` : '';
  let caption = '';
  if (attrs.file) {
    const href = site.resolveFile(attrs.file, env.output);
    let line = '';
    if (attrs.region) {
      try {
        line = `#L${readSource(site.root, attrs.file, attrs.region).firstLine}`;
      } catch {
        // An unknown region is the drift check's to report; the caption just links the file.
      }
    }
    const name = href ? `<a href="${relativeUrl(env.output, href)}${line}">${escapeHtml(attrs.file)}</a>` : escapeHtml(attrs.file);
    caption = `${name}${attrs.region ? ` — region <code>${escapeHtml(attrs.region)}</code>` : ''}`;
  } else if (attrs.transcript) {
    const dir = posix.dirname(attrs.transcript);
    const href = site.resolveFile(dir, env.output);
    const name = escapeHtml(attrs.transcript);
    const link = href ? `<a href="${relativeUrl(env.output, href)}#${escapeHtml(posix.basename(attrs.transcript))}">${name}</a>` : name;
    caption = `golden transcript: ${link}`;
  } else if (attrs.terminal) {
    // A session that needs several terminals shows one block per terminal, each named,
    // so a copy button never pastes one terminal's commands into another.
    caption = `terminal ${escapeHtml(attrs.terminal)}`;
  }
  const edited = token.map ? site.edited?.get(`${env.source}:${token.map[0] + 1}`) : undefined;
  if (edited) caption += ` <em class="edited">(this block shows the course's code; your working tree has changed it: ${escapeHtml(edited)})</em>`;
  const pre = `<pre class="wrap"><code class="hljs${langClass}">${code}</code></pre>`;
  // What the copy button copies (site.js): the commands of a terminal session, or else the whole block.
  const commands = commandLines(token.content);
  const copy = commands === undefined ? '' : ` data-copy="${escapeHtml(commands)}"`;
  if (!caption) return `<div class="code"${copy}>${pre}</div>\n`;
  return `<figure class="code"${copy}><figcaption>${caption}</figcaption>${pre}</figure>\n`;
}

/**
 * A block's code highlighted, one `<span class="line">` per line, each with
 * its indent (`--i`, in characters) so that where the screen is too narrow
 * for a line, site.css can wrap it under its own indent, as an editor's soft
 * wrap does, instead of hiding its end behind a sideways scroll.
 */
function linesOf(content: string, lang: string): string {
  const raw = content.replace(/\n$/, '').split('\n');
  // No newline between the lines: each is a block of its own (CSS), and a newline would show as a blank line.
  return splitHighlightedLines(highlight(content.replace(/\n$/, ''), lang))
    .map((line, i) => {
      const indent = /^ */.exec(raw[i] ?? '')![0].length;
      return `<span class="line"${indent ? ` style="--i:${indent}"` : ''}>${line}</span>`;
    })
    .join('');
}

/**
 * The commands of a terminal session as a student would type them: the lines
 * that start with the `$ ` prompt, without it, and the lines a trailing `\`
 * continues; output lines are left out. Undefined when no line has a prompt
 * (a block of plain commands, or of code, is copied whole).
 *
 * @example commandLines('$ curl -v http://localhost:8888/\n< HTTP/1.1 200 OK\n') // 'curl -v http://localhost:8888/'
 */
export function commandLines(block: string): string | undefined {
  const commands: string[] = [];
  let continued = false;
  for (const line of block.replace(/\n$/, '').split('\n')) {
    if (continued) commands.push(line);
    else if (line === '$' || line.startsWith('$ ')) commands.push(line.slice(2));
    else continue;
    continued = line.endsWith('\\');
  }
  return commands.length > 0 ? commands.join('\n') : undefined;
}

/** Splits `path#hash` (and `?query`, which GitHub ignores for repo files). */
function splitHref(href: string): { path: string; hash: string } {
  const hashAt = href.indexOf('#');
  const beforeHash = hashAt === -1 ? href : href.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : href.slice(hashAt);
  const queryAt = beforeHash.indexOf('?');
  return { path: queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt), hash };
}

/**
 * Where a link of a lesson points on the site. External links and same-page
 * anchors stay; a repo path becomes the page or source page for it. A link
 * to nothing stays as written, with a warning.
 */
function rewriteHref(site: SiteContext, href: string, env: RenderEnv): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//') || href.startsWith('#') || href === '') return href;
  const repoPath = resolveRepoPath(env.source, href);
  if (repoPath === undefined) {
    site.warnings.push(`${env.source}: link ${href} leaves the repo`);
    return href;
  }
  const { hash } = splitHref(href);
  const page = site.pages.get(repoPath) ?? site.pages.get(posix.join(repoPath, 'README.md'));
  if (page) {
    if (hash.length > 1) site.anchorLinks.push({ source: env.source, page, id: decodeURIComponent(hash.slice(1)) });
    return relativeUrl(env.output, page) + hash;
  }
  const file = site.resolveFile(repoPath, env.output);
  if (file) {
    // GitHub's `#L10-L20` selects lines; our source pages anchor each line, so go to the first.
    return relativeUrl(env.output, file) + hash.replace(/^#(L\d+)-L\d+$/, '#$1');
  }
  site.warnings.push(`${env.source}: link to ${repoPath}, which does not exist`);
  return href;
}

/** A link's repo path (`/` separators, no leading `./`), or undefined when it climbs out of the repo. */
function resolveRepoPath(source: string, href: string): string | undefined {
  let { path } = splitHref(href);
  try {
    path = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  // A leading `/` is the repo root, as on GitHub.
  const joined = path.startsWith('/') ? posix.normalize(path.slice(1)) : posix.join(posix.dirname(source), path);
  const normal = joined.replace(/\/$/, '') || '.';
  if (normal === '..' || normal.startsWith('../')) return undefined;
  return normal;
}

/** An SVG picture from the repo is inlined; any other picture is copied and linked. */
function renderImage(site: SiteContext, md: MarkdownIt, token: Token, env: RenderEnv): string {
  const src = String(token.attrGet('src') ?? '');
  const alt = md.renderer.renderInlineAsText(token.children ?? [], md.options, env);
  const title = token.attrGet('title') as string | null;
  const external = /^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('//');
  const repoPath = external ? undefined : resolveRepoPath(env.source, src);
  if (repoPath && repoPath.toLowerCase().endsWith('.svg')) {
    try {
      env.svgCount = (env.svgCount ?? 0) + 1;
      const svg = inlineSvg(readFileSync(posix.join(site.root, repoPath), 'utf8'), alt, `svg${env.svgCount}-`);
      const copy = site.resolveFile(repoPath, env.output);
      // "Full size" is a page of its own that shows the diagram larger than the column, in a box
      // that scrolls, where a phone can pinch-zoom further (diagrams/NAME.html, build.ts).
      const view = `diagrams/${posix.basename(repoPath, '.svg')}.html`;
      const width = Number(/viewBox="[\d.]+ [\d.]+ ([\d.]+)/.exec(svg)?.[1] ?? 800);
      const title = /<title[^>]*>([^<]*)<\/title>/.exec(svg)?.[1] ?? 'Diagram';
      if (copy) site.diagrams?.set(view, { svg: copy, alt, title, width, referrer: env.output });
      const open = copy ? `<a class="diagram-open" href="${relativeUrl(env.output, site.diagrams ? view : copy)}">Open the diagram full size</a>` : '';
      return `<span class="diagram">${svg}</span>${open}`;
    } catch {
      site.warnings.push(`${env.source}: picture ${src} does not exist`);
    }
  }
  let url = src;
  if (repoPath) {
    const copy = site.resolveFile(repoPath, env.output);
    if (copy) url = relativeUrl(env.output, copy);
    else site.warnings.push(`${env.source}: picture ${src} does not exist`);
  }
  return `<img src="${escapeHtml(url)}" alt="${escapeHtml(alt)}"${title ? ` title="${escapeHtml(title)}"` : ''} loading="lazy">`;
}

/**
 * Makes an SVG file fit to stand inside a page: drops the XML prolog, names it
 * by `alt` (role="img", aria-label; a labelledby title becomes the
 * description), makes sure it has a viewBox so CSS can scale it, and prefixes
 * every id, because ids of inline SVGs share the page with each other.
 */
export function inlineSvg(svgText: string, alt: string, idPrefix: string): string {
  const start = svgText.search(/<svg[\s>]/);
  if (start === -1) throw new Error('not an SVG file');
  let svg = svgText.slice(start);
  const ids = new Set([...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!));
  svg = svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${idPrefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (m, id: string) => (ids.has(id) ? `url(#${idPrefix}${id})` : m))
    .replace(/((?:xlink:)?href)="#([^"]+)"/g, (m, attr: string, id: string) => (ids.has(id) ? `${attr}="#${idPrefix}${id}"` : m))
    .replace(/(aria-(?:labelledby|describedby))="([^"]+)"/g, (_m, attr: string, list: string) =>
      `${attr}="${list.split(/\s+/).map((id) => (ids.has(id) ? idPrefix + id : id)).join(' ')}"`,
    );
  const end = svg.indexOf('>');
  let open = svg.slice(0, end);
  const rest = svg.slice(end);
  if (!/\sviewBox=/.test(open)) {
    const width = /\swidth="([\d.]+)(?:px)?"/.exec(open)?.[1];
    const height = /\sheight="([\d.]+)(?:px)?"/.exec(open)?.[1];
    if (width && height) open += ` viewBox="0 0 ${width} ${height}"`;
  }
  if (alt) {
    open = open.replace(/\s(?:role|aria-label)="[^"]*"/g, '');
    // aria-labelledby would win over aria-label; the SVG's own title and desc still describe it.
    open = /\saria-describedby=/.test(open) ? open.replace(/\saria-labelledby="[^"]*"/, '') : open.replace(/\saria-labelledby=/, ' aria-describedby=');
    open += ` role="img" aria-label="${escapeHtml(alt)}"`;
  } else if (!/\srole=/.test(open)) {
    open += ' role="img"';
  }
  return open + rest.trimEnd();
}
