/**
 * The site's pages for project files, so a student can read the code a lesson
 * links to without leaving the site: a highlighted file with a link per line
 * (`#L12`, like GitHub), a folder listing, and a folder of golden transcripts
 * with every byte visible.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { loadTranscripts } from '../lib/transcripts.ts';
import { visible } from '../lib/wire.ts';
import { escapeHtml, highlight, relativeUrl, splitHighlightedLines } from './markdown.ts';

/**
 * True for repo paths that are never part of the site: installed
 * (node_modules), private (dot files and folders), the site builder's own
 * test fixtures (a folder listing would otherwise publish its fixture lessons
 * as if they were the course's), or the built site itself. The parts' fixtures
 * (part2/fixtures, part3/fixtures) are apps the lessons run, so they are shown.
 */
export function isHidden(repoPath: string): boolean {
  const within = (folder: string) => repoPath === folder || repoPath.startsWith(`${folder}/`);
  if (within('docs/site') || within('scripts/site/fixtures')) return true;
  return repoPath
    .split('/')
    .some((segment) => (segment.startsWith('.') && segment !== '.' && segment !== '..') || segment === 'node_modules');
}

const LANGUAGES: Record<string, string> = {
  ts: 'typescript',
  mts: 'typescript',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  json: 'json',
  md: 'markdown',
  py: 'python',
  sh: 'bash',
  css: 'css',
  html: 'xml',
  svg: 'xml',
  xml: 'xml',
  yml: 'yaml',
  yaml: 'yaml',
};

/** Numbered lines, each with an anchor `L1`, `L2`, ... (numbers are drawn by CSS, so copying code copies no numbers). */
function numberedLines(lines: string[]): string {
  const body = lines
    // Each line is a block of its own (CSS), so no newline between them: it would show as a blank line.
    .map((line, i) => {
      // Its indent, so a line too long for the screen wraps under it (site.css), as in a lesson.
      const indent = /^ */.exec(line.replace(/<[^>]*>/g, ''))![0].length;
      return `<span class="line" id="L${i + 1}"${indent ? ` style="--i:${indent}"` : ''}><a class="ln" href="#L${i + 1}" data-n="${i + 1}" aria-label="line ${i + 1}"></a>${line}</span>`;
    })
    .join('');
  return `<pre class="source"><code class="hljs">${body}</code></pre>`;
}

/** Bytes of a transcript file, CR and LF written out, one line per line on the wire. */
function visibleBytes(bytes: Buffer): string {
  if (bytes.length === 0) return '<span class="empty">(no bytes)</span>';
  // One pass, so the `\\` that stands for a real backslash is never read as the start of `\r`.
  return escapeHtml(visible(bytes).replace(/\n$/, '')).replace(/\\(?:[\\rnt]|x[0-9a-f]{2})/g, (escape) => (escape === '\\\\' ? escape : `<span class="crlf">${escape}</span>`));
}

/**
 * The body of the page for one project file: highlighted, with numbered lines.
 * Transcript bytes (`.request`, `.response`) show CR and LF.
 *
 * @param repoPath file path relative to `root`, `/` separators
 * @throws when the file cannot be read
 */
export function renderSourceFile(root: string, repoPath: string): string {
  const bytes = readFileSync(join(root, repoPath));
  const extension = posix.extname(repoPath).slice(1).toLowerCase();
  if (extension === 'request' || extension === 'response') {
    const lines = visibleBytes(bytes).split('\n');
    return `<p>Exact bytes, with every CR (<code>\\r</code>) and LF (<code>\\n</code>) written out: ${bytes.length} bytes.</p>\n${numberedLines(lines)}`;
  }
  if (bytes.includes(0)) return `<p>A binary file of ${bytes.length} bytes.</p>`;
  const text = bytes.toString('utf8').replace(/\n$/, '');
  return numberedLines(splitHighlightedLines(highlight(text, LANGUAGES[extension] ?? 'plaintext')));
}

/**
 * The body of the page for a folder: its files and folders, each linked
 * through `resolve` (which registers the page it must get).
 *
 * @param resolve maps a repo path to its site path, or undefined
 */
export function renderListing(root: string, dir: string, output: string, resolve: (repoPath: string) => string | undefined): string {
  const pathOf = (name: string) => (dir === '.' ? name : `${dir}/${name}`);
  const entries = readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => !isHidden(pathOf(entry.name)))
    .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name));
  const items = entries.map((entry) => {
    const repoPath = pathOf(entry.name);
    const target = resolve(repoPath);
    const label = escapeHtml(entry.name + (entry.isDirectory() ? '/' : ''));
    return `<li>${target ? `<a href="${relativeUrl(output, target)}">${label}</a>` : label}</li>`;
  });
  return `<ul class="listing">\n${items.join('\n')}\n</ul>`;
}

/**
 * The body of the page for a folder with a `transcripts.json`: every golden
 * transcript with what it shows and its request and response bytes. Each has
 * an anchor by its name, the target of a lesson's "golden transcript" caption.
 */
export function renderTranscripts(root: string, dir: string, output: string, resolve: (repoPath: string) => string | undefined): string {
  const parts = [
    `<p>These are exact bytes, kept untouched in <code>${escapeHtml(dir)}/</code> and listed in <code>transcripts.json</code>. ` +
      `The tests replay each request against the server over a real socket and compare the response byte for byte; ` +
      `<code>npm run compare</code> can replay them against any server, yours too.</p>`,
  ];
  for (const transcript of loadTranscripts(join(root, dir))) {
    const file = (name: string) => {
      const target = resolve(`${dir}/${name}`);
      return target ? `<a href="${relativeUrl(output, target)}">${escapeHtml(name)}</a>` : escapeHtml(name);
    };
    const how = [
      transcript.send === 'whole' ? 'sent in one write' : transcript.send === 'lines' ? 'sent one line at a time' : 'sent one byte at a time',
      transcript.halfClose ? 'then the client closes its sending side' : '',
      transcript.app ? `app ${escapeHtml(transcript.app)}` : '',
    ].filter(Boolean);
    parts.push(
      `<section class="transcript" id="${escapeHtml(transcript.name)}">`,
      `<h2><a href="#${escapeHtml(transcript.name)}">${escapeHtml(transcript.name)}</a></h2>`,
      `<p>${escapeHtml(transcript.about)}</p>`,
      `<p class="meta">Request ${file(transcript.request)}, ${how.join(', ')}:</p>`,
      `<pre class="bytes"><code>${visibleBytes(transcript.requestBytes)}</code></pre>`,
      `<p class="meta">Response ${file(transcript.response)}:</p>`,
      `<pre class="bytes"><code>${visibleBytes(transcript.responseBytes)}</code></pre>`,
      `</section>`,
    );
  }
  return parts.join('\n');
}

/** True when `repoPath` is a folder with a `transcripts.json`. */
export function isTranscriptFolder(root: string, repoPath: string): boolean {
  try {
    return statSync(join(root, repoPath, 'transcripts.json')).isFile();
  } catch {
    return false; // no manifest: an ordinary folder
  }
}
