/**
 * Lessons never drift: the check behind `npm test`, `npm run docs` and
 * `npm run docs -- --fix`.
 *
 * A lesson is a markdown file: `partN/README.md`, `partN/lessons/*.md` or
 * `docs/*.md`. Two kinds of fenced code block in a lesson are checked, named
 * by words in the block's info string (the first word stays the language, so
 * GitHub still highlights the block):
 *
 *   ```ts file=part1/webserver1.ts region=response
 *     The block equals the lines strictly between `// #region response` and
 *     the next `// #endregion` of that file (`<!-- #region x -->` and
 *     `# #region x` markers work too), common indentation removed. Without
 *     `region=`, the block equals the whole file. Only trailing newlines may
 *     differ. `--fix` rewrites such a block from its source.
 *
 *   ```diff diff=3f..3g
 *     The block equals the unified diff `npm run diff -- 3f 3g` prints
 *     (scripts/lib/steps.ts). `--fix` rewrites it.
 *
 *   ```text transcript=part1/transcripts/curl [style=curl]
 *     The block shows golden transcript `curl` of `part1/transcripts/
 *     transcripts.json`: the request's lines in a row, and later the
 *     response's lines in a row (other lines, like telnet's chatter, may stand
 *     around them). `style=curl` first strips curl -v's `> ` and `< ` markers
 *     and drops its `* ` info lines; `style=visible` expects the response as
 *     `npm run telnet` shows it, CR and LF written out as `\r` `\n`. Never fixed automatically: a person picks
 *     what to show around the bytes.
 *
 *   ```text bench=docs/bench/bench.json [columns=rate,ratios,latency,failed,memory,cpu]
 *     The block equals the table `npm run bench` prints for those figures
 *     (scripts/lib/bench-figures.ts), the same JSON the chart is drawn
 *     from; `columns` keeps only those groups of columns, for a page narrower
 *     than a terminal. `--fix` rewrites it, after `npm run bench -- --update`.
 *
 * After an exercise, a student's working tree differs from the course on
 * purpose. Given a view of the course as committed (scripts/exercises/
 * worktree.ts courseView: the committed version of each file a started
 * exercise changed), a block that differs from the working tree but is in
 * step with that view is not a drift but an exercise's edit: an
 * {@link Edited}, which the site shows with a note and npm test skips by
 * name; `--fix` leaves it alone. A block out of step with the committed
 * course is still a problem, exercise or not.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import MarkdownIt from 'markdown-it';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { loadTranscripts, type Transcript } from '../lib/transcripts.ts';
import { stepDiff } from '../lib/steps.ts';
import { visible } from '../lib/wire.ts';
import { checkAnchors, fixAnchors } from './anchors.ts';
import { readText } from '../lib/text.ts';
import { BENCH_COLUMNS, benchTable, readResults, type BenchColumn } from '../lib/bench-figures.ts';

/** One failed check, ready to print. */
export interface Problem {
  /** The lesson, relative to the repo root with `/` separators: `part1/README.md`. */
  lesson: string;
  /** 1-based line of the block's opening fence. */
  line: number;
  /** One line, `LESSON:LINE: ...`, e.g. `part1/README.md:42: block shows part1/webserver1.ts#response but differs from the source`. */
  message: string;
  /** A short unified diff or the missing lines; '' when the message says it all. */
  details: string;
  /** True when `fixLessons` can rewrite the block from its source. */
  fixable: boolean;
}

/** A block in step with the committed course that the student's exercise changed the source of. */
export interface Edited {
  /** The lesson, relative with `/` separators: `part1/README.md`. */
  lesson: string;
  /** 1-based line of the block's opening fence (or of a line anchor). */
  line: number;
  /** What the block shows: `part1/webserver1.ts#response`, `transcript part1/transcripts/nonsense`. */
  shows: string;
  /** `exercise 1.1 changed part1/webserver1.ts`. */
  reason: string;
}

/** The course as committed, beside the working tree: see the top of this file. */
export interface CommittedCourse {
  /** A tree holding the committed version of every file in `changes`, the rest as in the working tree. */
  root: string;
  /** The files started exercises changed, each with those exercises' ids. */
  changes: Map<string, string[]>;
}

/** A fenced code block of a lesson, as {@link findBlocks} returns it. */
export interface LessonBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The whole info string: `ts file=part1/webserver1.ts region=response`. */
  info: string;
  /** The first word of the info string unless it is a `key=value`: `ts`. '' when there is none. */
  lang: string;
  /** The `key=value` words of the info string: `{ file: 'part1/webserver1.ts', region: 'response' }`. */
  attrs: Record<string, string>;
  /** The block's text, as markdown-it reads it (container indentation removed). */
  content: string;
  /** 0-based [opening fence line, line after the closing fence), from markdown-it. */
  map: [number, number];
  /** The fence itself: ``` or ~~~ (or longer). */
  markup: string;
}

/** A file or region of project code, as {@link readSource} returns it. */
export interface Source {
  /** The text a block must show (common indentation removed, no trailing newline). */
  text: string;
  /** 1-based line of the file where `text` starts (for links to `#L12` on the site). */
  firstLine: number;
  /** 1-based line of the file where `text` ends. */
  lastLine: number;
}

/** The `part1`, `part2`, ... folders of `root`, in numeric order. */
export function findParts(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^part\d+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

/**
 * Every lesson under `root`, relative with `/` separators, in reading order:
 * for each part its README.md then its lessons/*.md (sorted by name), then docs/*.md.
 */
export function findLessons(root: string): string[] {
  const lessons: string[] = [];
  for (const part of findParts(root)) {
    if (existsSync(join(root, part, 'README.md'))) lessons.push(`${part}/README.md`);
    lessons.push(...markdownFiles(root, `${part}/lessons`));
  }
  lessons.push(...markdownFiles(root, 'docs'));
  return lessons;
}

function markdownFiles(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => `${dir}/${entry.name}`)
    .sort();
}

/**
 * Splits an info string into its language (the first word, unless it is a
 * `key=value`) and its `key=value` words. Never throws.
 */
export function parseInfo(info: string): { lang: string; attrs: Record<string, string> } {
  const words = info.trim().split(/\s+/).filter(Boolean);
  const lang = words[0] && !words[0].includes('=') ? words[0] : '';
  const attrs: Record<string, string> = {};
  for (const word of words) {
    const at = word.indexOf('=');
    if (at > 0) attrs[word.slice(0, at)] = word.slice(at + 1);
  }
  return { lang, attrs };
}

// One parser for every lesson: markdown-it knows where fences really are
// (not inside an indented block, inside a list item, ...), better than a regex would.
const parser = new MarkdownIt();

/** Every fenced code block of a markdown text, in order. */
export function findBlocks(markdown: string): LessonBlock[] {
  const blocks: LessonBlock[] = [];
  for (const token of parser.parse(markdown, {})) {
    if (token.type !== 'fence' || !token.map) continue;
    const { lang, attrs } = parseInfo(token.info);
    blocks.push({
      line: token.map[0] + 1,
      info: token.info,
      lang,
      attrs,
      content: token.content,
      map: [token.map[0], token.map[1]],
      markup: token.markup,
    });
  }
  return blocks;
}

const REGION = /(?:\/\/|<!--|#)\s*#region\s+(\S+)/;
const ENDREGION = /(?:\/\/|<!--|#)\s*#endregion\b/;

/**
 * Reads what a `file=` block must show: the whole file, or with `region` the
 * lines strictly between the line with `#region REGION` and the next line
 * with `#endregion`, common leading indentation removed.
 *
 * @param root repo root
 * @param file path relative to `root`, `/` separators
 * @throws Error with a one-line message when the file, or the region in it, does not exist
 */
export function readSource(root: string, file: string, region?: string): Source {
  const full = join(root, file);
  if (!isFileInside(root, file)) throw new Error(`${file} does not exist`);
  const lines = readText(full).split('\n');
  if (region === undefined) {
    return { text: trimTrailingNewlines(lines.join('\n')), firstLine: 1, lastLine: lines.length };
  }
  const start = lines.findIndex((line) => regionName(line) === region);
  if (start === -1) throw new Error(`${file} has no region ${region} (mark it with // #region ${region} ... // #endregion)`);
  const end = lines.findIndex((line, i) => i > start && ENDREGION.test(line));
  if (end === -1) throw new Error(`${file}: region ${region} has no #endregion after its #region line ${start + 1}`);
  return { text: trimTrailingNewlines(dedent(lines.slice(start + 1, end)).join('\n')), firstLine: start + 2, lastLine: end };
}

function regionName(line: string): string | undefined {
  const match = REGION.exec(line);
  // `<!-- #region x-->` glues the comment's end to the name.
  return match ? match[1]!.replace(/-->$/, '') : undefined;
}

/** True when `file` (relative) names a regular file that does not climb out of `root`. */
function isFileInside(root: string, file: string): boolean {
  const normal = posix.normalize(file);
  if (normal.startsWith('../') || normal === '..' || posix.isAbsolute(normal)) return false;
  try {
    return statSync(join(root, normal)).isFile();
  } catch {
    return false; // missing, or a dangling name: both mean "does not exist" to a lesson
  }
}

/** Removes the leading whitespace every non-blank line shares; blank lines become ''. */
function dedent(lines: string[]): string[] {
  let common: string | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)![0];
    if (common === undefined) common = indent;
    else while (!indent.startsWith(common)) common = common.slice(0, -1);
  }
  const cut = common?.length ?? 0;
  return lines.map((line) => (line.trim() === '' ? '' : line.slice(cut)));
}

function trimTrailingNewlines(text: string): string {
  return text.replace(/(?:\r?\n)+$/, '');
}

/**
 * Lines of a text as a lesson shows them: split on LF, one trailing CR per
 * line dropped. The empty piece after a final LF is not a line, but an empty
 * line before it is (the blank line that ends a head).
 */
export function textLines(text: string): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * curl -v shows what it sends after `> `, what it receives after `< ` and its
 * own remarks after `* `. Keep the bytes, drop the remarks.
 */
function stripCurlMarkers(lines: string[]): string[] {
  return lines
    .filter((line) => !line.startsWith('* '))
    .map((line) => (line === '>' || line === '<' ? '' : line.startsWith('> ') || line.startsWith('< ') ? line.slice(2) : line));
}

/** Where `run` fits `lines` best from `from` on: the start with the most equal lines. */
function bestAlignment(lines: string[], run: string[], from: number): { start: number; equal: number } {
  let best = { start: from, equal: -1 };
  for (let start = from; start < Math.max(lines.length, from + 1); start++) {
    let equal = 0;
    for (let j = 0; j < run.length; j++) if (lines[start + j] === run[j]) equal++;
    if (equal > best.equal) best = { start, equal };
    if (equal === run.length) break; // the first complete run leaves the most room after it
  }
  return best;
}

/** Shows which lines of `run` the block lacks, as a small diff against the block's closest lines. */
function describeMissing(label: string, lines: string[], run: string[], start: number): string {
  const show = (line: string | undefined) => (line === undefined ? '(end of block)' : line === '' ? '(empty line)' : line);
  const out = [`${label}, ${run.length} line${run.length === 1 ? '' : 's'} in a row (- expected, + the block has):`];
  for (let j = 0; j < run.length; j++) {
    const has = lines[start + j];
    if (has === run[j]) out.push(`  ${show(run[j])}`);
    else if (has === undefined && lines[start + j - 1] === undefined && j > 0) out.push(`- ${show(run[j])}`);
    else out.push(`- ${show(run[j])}`, `+ ${show(has)}`);
  }
  return out.join('\n');
}

/**
 * Checks the lines of a block against a transcript. Returns '' when the
 * request's lines stand in a row and the response's lines stand in a row
 * after them, else the missing lines.
 */
export function matchTranscript(blockLines: string[], request: string, response: string, names = { request: 'request', response: 'response' }): string {
  const requestRun = textLines(request);
  const responseRun = textLines(response);
  let after = 0;
  const problems: string[] = [];
  if (requestRun.length > 0) {
    const found = bestAlignment(blockLines, requestRun, 0);
    if (found.equal === requestRun.length) after = found.start + requestRun.length;
    else problems.push(describeMissing(`the request ${names.request}`, blockLines, requestRun, found.start));
  }
  if (responseRun.length > 0) {
    const found = bestAlignment(blockLines, responseRun, after);
    if (found.equal !== responseRun.length) {
      const label = after > 0 ? `the response ${names.response}, after the request` : `the response ${names.response}`;
      problems.push(describeMissing(label, blockLines, responseRun, found.start));
    }
  }
  return problems.join('\n');
}

/**
 * Checks a transcript's exchanges in order: each request's lines, then its response's, each part
 * after the one before it (several exchanges on one connection, as curl -v or telnet shows them).
 * `visible`: the responses as `npm run telnet` prints them, every CR and LF written out.
 */
function matchParts(lines: string[], entry: Transcript, visibleResponse: boolean, dir: string): string {
  let from = 0;
  for (const part of entry.parts) {
    const response = visibleResponse ? visible(part.responseBytes) : part.responseBytes.toString('utf8');
    const rest = lines.slice(from);
    const missing = matchTranscript(rest, part.requestBytes.toString('utf8'), response, {
      request: `${dir}/${part.request}`,
      response: `${dir}/${part.response}`,
    });
    if (missing) return missing;
    const run = textLines(response);
    from += bestAlignment(rest, run, 0).start + run.length;
  }
  return '';
}

/** What a check found: a problem, and for a fixable one the text the block should have. */
interface Finding {
  problem: Problem;
  replacement?: string;
}

/** Reads each transcripts.json once per run. */
type TranscriptCache = Map<string, Transcript[] | Error>;

function checkBlock(root: string, lesson: string, block: LessonBlock, transcripts: TranscriptCache): Finding[] {
  const findings: Finding[] = [];
  const at = `${lesson}:${block.line}`;
  const problem = (message: string, details = '', fixable = false): Problem => ({ lesson, line: block.line, message: `${at}: ${message}`, details, fixable });
  const { file, region, transcript } = block.attrs;

  if (region !== undefined && file === undefined) {
    findings.push({ problem: problem(`block has region=${region} but no file=`) });
  }
  if (file !== undefined) {
    const shown = region === undefined ? file : `${file}#${region}`;
    try {
      const source = readSource(root, file, region);
      const actual = trimTrailingNewlines(block.content);
      if (actual !== source.text) {
        const diff = createTwoFilesPatch(`${shown} (source)`, `${at} (block)`, `${source.text}\n`, `${actual}\n`, undefined, undefined, {
          context: 2,
          headerOptions: FILE_HEADERS_ONLY,
        });
        findings.push({ problem: problem(`block shows ${shown} but differs from the source`, shorten(diff.trimEnd(), 40), true), replacement: source.text });
      }
    } catch (error) {
      findings.push({ problem: problem(`block shows ${shown} but ${(error as Error).message}`) });
    }
  }
  if (block.attrs.diff !== undefined) {
    // ```diff diff=3f..3g: the block equals `npm run diff -- 3f 3g`.
    const [a = '', b = ''] = block.attrs.diff.split('..');
    try {
      const expected = stepDiff(root, a, b);
      if (trimTrailingNewlines(block.content) !== expected) {
        findings.push({ problem: problem(`block shows the diff ${a}..${b} but differs from npm run diff -- ${a} ${b}`, '', true), replacement: expected });
      }
    } catch (error) {
      findings.push({ problem: problem(`block shows the diff ${a}..${b} but ${(error as Error).message}`) });
    }
  }
  if (block.attrs.bench !== undefined) {
    const json = block.attrs.bench;
    try {
      if (!isFileInside(root, json)) throw new Error(`${json} does not exist`);
      const columns = block.attrs.columns?.split(',') ?? [...BENCH_COLUMNS];
      const unknown = columns.filter((column) => !(BENCH_COLUMNS as readonly string[]).includes(column));
      if (unknown.length > 0) throw new Error(`it names no such columns: ${unknown.join(', ')} (there are ${BENCH_COLUMNS.join(', ')})`);
      const expected = benchTable(readResults(join(root, json)), columns as BenchColumn[]);
      if (trimTrailingNewlines(block.content) !== expected) {
        findings.push({ problem: problem(`block shows the bench figures of ${json} but differs from their table`, '', true), replacement: expected });
      }
    } catch (error) {
      findings.push({ problem: problem(`block shows the bench figures of ${json} but ${(error as Error).message}`) });
    }
  }
  if (transcript !== undefined) {
    const dir = posix.dirname(transcript);
    const name = posix.basename(transcript);
    let loaded = transcripts.get(dir);
    if (!loaded) {
      try {
        if (!isFileInside(root, `${dir}/transcripts.json`)) throw new Error(`${dir}/transcripts.json does not exist`);
        loaded = loadTranscripts(join(root, dir));
      } catch (error) {
        loaded = error as Error;
      }
      transcripts.set(dir, loaded);
    }
    const entry = loaded instanceof Error ? undefined : loaded.find((t) => t.name === name);
    if (loaded instanceof Error) {
      findings.push({ problem: problem(`transcript ${transcript}: ${loaded.message}`) });
    } else if (!entry) {
      findings.push({ problem: problem(`transcript ${transcript}: ${dir}/transcripts.json has no entry named ${name}`) });
    } else {
      let lines = textLines(block.content);
      if (block.attrs.style === 'curl') lines = stripCurlMarkers(lines);
      const missing = matchParts(lines, entry, block.attrs.style === 'visible', dir);
      const hint =
        block.attrs.style !== 'curl' && lines.some((line) => /^[<>]( |$)/.test(line))
          ? '\n(the block has curl -v\'s "> " and "< " markers: add style=curl to its info string)'
          : '';
      if (missing) findings.push({ problem: problem(`transcript ${transcript} not found in the block`, missing + hint) });
    }
  }
  return findings;
}

function shorten(text: string, maxLines: number): string {
  const lines = text.split('\n');
  return lines.length <= maxLines ? text : [...lines.slice(0, maxLines), `... (${lines.length - maxLines} more lines)`].join('\n');
}

function checkLessonFindings(root: string, lesson: string, transcripts: TranscriptCache): { markdown: string; blocks: LessonBlock[]; findings: Map<LessonBlock, Finding[]> } {
  const markdown = readFileSync(join(root, lesson), 'utf8');
  const blocks = findBlocks(markdown);
  const findings = new Map<LessonBlock, Finding[]>();
  for (const block of blocks) {
    const found = checkBlock(root, lesson, block, transcripts);
    if (found.length > 0) findings.set(block, found);
  }
  return { markdown, blocks, findings };
}

/**
 * Checks every `file=` and `transcript=` block of one lesson.
 *
 * @param root repo root
 * @param lesson path relative to `root`, `/` separators
 * @returns the problems, in the lesson's order; [] when the lesson is in step with the code
 * @throws when the lesson itself cannot be read
 */
export function checkLesson(root: string, lesson: string): Problem[] {
  const { findings } = checkLessonFindings(root, lesson, new Map());
  return [...[...findings.values()].flat().map((finding) => finding.problem), ...anchorProblems(root, lesson)];
}

/** The line-anchor links of a lesson that drifted (scripts/site/anchors.ts), as Problems. */
function anchorProblems(root: string, lesson: string): Problem[] {
  return checkAnchors(root, lesson).map((anchor) => ({ lesson, line: anchor.line, message: anchor.message, details: '', fixable: anchor.fix !== undefined }));
}

/**
 * Checks every lesson of {@link findLessons}. Never throws for a drifted,
 * unknown or broken reference: each is a {@link Problem}.
 *
 * @returns the problems, lesson by lesson; [] when every lesson is in step with the code
 */
export function checkLessons(root: string): Problem[] {
  return checkLessonsBeside(root).problems;
}

/**
 * Checks every lesson as {@link checkLessons} does; with `course`, a block whose
 * difference an exercise explains (in step with the committed course) is an
 * {@link Edited} rather than a problem.
 */
export function checkLessonsBeside(root: string, course?: CommittedCourse): { problems: Problem[]; edited: Edited[] } {
  const transcripts: TranscriptCache = new Map();
  const committed: TranscriptCache = new Map();
  const problems: Problem[] = [];
  const edited: Edited[] = [];
  for (const lesson of findLessons(root)) {
    for (const [block, found] of checkLessonFindings(root, lesson, transcripts).findings) {
      const reason = course && explainedByExercise(course, lesson, block, committed);
      if (reason) edited.push({ lesson, line: block.line, shows: blockShows(block), reason });
      else problems.push(...found.map((finding) => finding.problem));
    }
    const anchors = anchorProblems(root, lesson);
    const inStep = course && anchors.length > 0 ? anchorProblems(course.root, lesson) : [];
    for (const anchor of anchors) {
      const reason = course && !inStep.some((other) => other.line === anchor.line) && reasonFor(course, [partOf(lesson) ?? 'part']);
      if (reason) edited.push({ lesson, line: anchor.line, shows: 'a line anchor', reason });
      else problems.push(anchor);
    }
  }
  return { problems, edited };
}

/** Why `block` differs: an exercise's change, when the block is in step with the committed course. */
function explainedByExercise(course: CommittedCourse, lesson: string, block: LessonBlock, committed: TranscriptCache): string | undefined {
  if (checkBlock(course.root, lesson, block, committed).length > 0) return undefined; // a drift of the course itself
  const { file, transcript, diff } = block.attrs;
  const paths = file ? [file] : transcript ? [`${posix.dirname(transcript)}/`] : diff ? diff.split('..').map((step) => `part${step[0]}/`) : [];
  return reasonFor(course, paths) ?? reasonFor(course, ['part']);
}

/** `exercise 1.1 changed part1/webserver1.ts`, for the changed files under `paths` (prefixes). */
function reasonFor(course: CommittedCourse, paths: string[]): string | undefined {
  const hits = [...course.changes].filter(([changed]) => paths.some((path) => changed.startsWith(path)));
  if (hits.length === 0) return undefined;
  const ids = [...new Set(hits.flatMap(([, ids]) => ids))].sort();
  return `exercise${ids.length > 1 ? 's' : ''} ${ids.join(', ')} changed ${hits.map(([changed]) => changed).join(', ')}`;
}

function partOf(lesson: string): string | undefined {
  const top = lesson.split('/')[0]!;
  return /^part\d+$/.test(top) ? `${top}/` : undefined;
}

/** What a block shows, in a few words: `part1/webserver1.ts#response`. */
function blockShows(block: LessonBlock): string {
  const { file, region, transcript, diff, bench } = block.attrs;
  if (file) return region ? `${file}#${region}` : file;
  if (transcript) return `transcript ${transcript}`;
  if (diff) return `the diff ${diff}`;
  return bench ? `bench ${bench}` : block.info;
}

/**
 * Rewrites every drifted `file=` block of every lesson from its source, in
 * place, and checks again.
 *
 * @returns `fixed`: the problems it repaired; `remaining`: what a person must
 *   fix (transcripts, unknown files or regions), as {@link checkLessons} now reports it
 */
export function fixLessons(root: string, course?: CommittedCourse): { fixed: Problem[]; remaining: Problem[] } {
  const fixed: Problem[] = [];
  const transcripts: TranscriptCache = new Map();
  const committed: TranscriptCache = new Map();
  for (const lesson of findLessons(root)) {
    const { markdown, findings } = checkLessonFindings(root, lesson, transcripts);
    // A block an exercise changed keeps the course's code: the student's is not the lesson's.
    if (course) for (const block of [...findings.keys()]) if (explainedByExercise(course, lesson, block, committed)) findings.delete(block);
    // markdown-it numbers lines after turning CRLF into LF; a CRLF lesson is written back with CRLF.
    const eol = markdown.includes('\r\n') ? '\r\n' : '\n';
    let lines = markdown.split(eol);
    // Bottom up, so the line numbers of the blocks still to fix stay right.
    const fixes = [...findings.entries()]
      .flatMap(([block, found]) => found.filter((f) => f.replacement !== undefined).map((f) => ({ block, finding: f })))
      .sort((a, b) => b.block.line - a.block.line);
    for (const { block, finding } of fixes) {
      const rewritten = rewriteBlock(lines, block, finding.replacement!);
      if (rewritten) {
        lines = rewritten;
        fixed.push(finding.problem);
      }
    }
    if (fixes.length > 0) {
      const text = lines.join(eol);
      if (text !== markdown) writeFileSync(join(root, lesson), text);
    }
    if (!course || anchorProblems(root, lesson).length === 0 || anchorProblems(course.root, lesson).length > 0) {
      fixed.push(...fixAnchors(root, lesson).map((anchor) => ({ lesson, line: anchor.line, message: anchor.message, details: '', fixable: true })));
    }
  }
  return { fixed, remaining: checkLessonsBeside(root, course).problems };
}

/**
 * Replaces the body of `block` in the lesson's `lines` with `text`, keeping
 * the fence's container prefix (list indentation, `> ` of a quote). Returns
 * undefined when the block has no closing fence to keep.
 */
function rewriteBlock(lines: string[], block: LessonBlock, text: string): string[] | undefined {
  const [open, after] = block.map;
  const opening = lines[open]!;
  const closing = lines[after - 1];
  const fenceChar = block.markup[0]!;
  const closeRe = new RegExp(`^[\\s>]*\\${fenceChar}{${block.markup.length},}\\s*$`);
  if (after - 1 <= open || closing === undefined || !closeRe.test(closing)) return undefined;
  // The prefix before the fence, with list markers turned into spaces: `- ` -> `  `, `> ` stays.
  const prefix = opening.slice(0, opening.indexOf(block.markup)).replace(/[^>\s]/g, ' ');
  const body = text.split('\n').map((line) => (line === '' ? prefix.trimEnd() : prefix + line));
  // A source that itself holds a fence as long as ours would end the block early: lengthen ours.
  const longest = Math.max(0, ...text.split('\n').map((line) => new RegExp(`^\\s*(\\${fenceChar}+)`).exec(line)?.[1]!.length ?? 0));
  let openLine = opening;
  let closeLine = closing;
  if (longest >= block.markup.length) {
    const fence = fenceChar.repeat(longest + 1);
    openLine = opening.replace(block.markup, fence);
    closeLine = closing.replace(new RegExp(`\\${fenceChar}+`), fence);
  }
  return [...lines.slice(0, open), openLine, ...body, closeLine, ...lines.slice(after)];
}

/** A problem as the CLI prints it: the message, then its details indented. */
export function formatProblem(problem: Problem): string {
  if (!problem.details) return problem.message;
  return `${problem.message}\n${problem.details.replace(/^/gm, '    ')}`;
}
