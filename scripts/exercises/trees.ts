/**
 * Temporary trees for `npm run exercise -- ID --solution` and the proofs in
 * npm test: a copy of the course's part folders (without their tests and
 * exercises), node_modules linked, and a reference solution applied to it.
 *
 * A solution folder `partN/exercises/solutions/ID/` holds unified diffs
 * (`*.patch`, paths from the repository root, as `git diff` writes them),
 * applied with jsdiff and a fuzz factor so edits elsewhere in the file do not
 * stop them; `edits.json`, regular-expression replacements for a line other
 * branches rewrite (see applyEdits); and whole files under `files/` (copied
 * to the same path).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { applyPatch, parsePatch, type StructuredPatch, type StructuredPatchHunk } from 'diff';
import { committedBytes, exerciseChanges, listFiles, solutionDir, type Edit } from '../lib/worktree.ts';

/** The folders a check may read: the parts, nothing of scripts/ (the checks import that from the course). */
const PARTS = ['part1', 'part2', 'part3'];

/**
 * How many lines of a hunk's context may differ from the file and the hunk
 * still apply. 2 lets another branch edit a line next to the change; a
 * hunk's changed lines themselves must still match.
 */
const FUZZ_FACTOR = 2;

/** Copies `from`'s part folders to a new temporary directory and links its node_modules. */
export function copyTree(from: string): string {
  const root = mkdtempSync(join(tmpdir(), 'lsbaws-exercise-'));
  for (const part of PARTS.filter((name) => existsSync(join(from, name)))) {
    cpSync(join(from, part), join(root, part), {
      recursive: true,
      // Tests and exercises are not the student's code: a check never imports them.
      filter: (source) => !source.endsWith('.test.ts') && basename(source) !== 'exercises',
    });
  }
  symlinkSync(join(from, 'node_modules'), join(root, 'node_modules'), 'junction');
  writeFileSync(join(root, 'package.json'), readFileSync(join(from, 'package.json')));
  return root;
}

/**
 * A copy as {@link copyTree} makes, of the course as committed where a started
 * exercise changed it (scripts/lib/worktree.ts): a proof or `--solution` starts from the
 * course as shipped even after the student solved an exercise, while a
 * maintainer's own uncommitted edits stay in the copy.
 */
export function copyCourse(from: string): string {
  const root = copyTree(from);
  for (const [file, bytes] of committedVersions(from)) {
    if (bytes === undefined) rmSync(join(root, file), { force: true });
    else {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), bytes);
    }
  }
  return root;
}

/**
 * Per course: the committed bytes (undefined: no such file) of each file a started exercise
 * changed, read once per process. The proofs make thirty copies at once: git runs once, not
 * thirty times, and on a clean tree not at all (nothing is started).
 */
const committedCache = new Map<string, Map<string, Buffer | undefined>>();

function committedVersions(from: string): Map<string, Buffer | undefined> {
  let versions = committedCache.get(from);
  if (!versions) {
    const inCopy = (file: string) => PARTS.includes(file.split('/')[0]!) && !file.endsWith('.test.ts') && !file.split('/').includes('exercises');
    versions = new Map([...exerciseChanges(from).keys()].filter(inCopy).map((file) => [file, committedBytes(from, file)]));
    committedCache.set(from, versions);
  }
  return versions;
}

/** Removes a tree made by {@link copyTree}. */
export function removeTree(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * Applies the reference solution of `id` to the tree at `root`.
 * @throws Error naming the file when a patch does not apply (its lines changed too much).
 */
export function applySolution(course: string, id: string, root: string): void {
  const dir = solutionDir(course, id);
  if (!existsSync(dir)) throw new Error(`exercise ${id} has no reference solution (${relative(course, dir)})`);
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.patch')) applyPatchFile(join(dir, name), root);
  }
  if (existsSync(join(dir, 'edits.json'))) applyEdits(join(dir, 'edits.json'), root);
  const files = join(dir, 'files');
  if (existsSync(files)) {
    for (const file of listFiles(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      cpSync(join(files, file), join(root, file));
    }
  }
}

function applyPatchFile(patchFile: string, root: string): void {
  for (const patch of parsePatch(readFileSync(patchFile, 'utf8'))) {
    const file = (patch.newFileName ?? patch.oldFileName ?? '').replace(/^[ab]\//, '');
    const path = join(root, file);
    const result = applyLeniently(readFileSync(path, 'utf8'), patch);
    if (result === false) {
      throw new Error(`${basename(patchFile)} does not apply to ${file}: the lines it changes are not there any more`);
    }
    writeFileSync(path, result);
  }
}

/**
 * Applies a patch as a whole, and if that fails, hunk by hunk with less and
 * less context: another branch may have edited or inserted lines next to a
 * change. A hunk never goes below the lines it removes (they must match
 * exactly), and an insertion keeps one line of context to anchor it.
 */
export function applyLeniently(source: string, patch: StructuredPatch): string | false {
  const whole = applyPatch(source, patch, { fuzzFactor: FUZZ_FACTOR });
  if (whole !== false) return whole;
  let text = source;
  for (const hunk of patch.hunks) {
    const next = applyHunk(text, hunk);
    if (next === false) return false;
    text = next;
  }
  return text;
}

function applyHunk(text: string, hunk: StructuredPatchHunk): string | false {
  for (const context of [3, 2, 1, 0]) {
    const trimmed = trimContext(hunk, context);
    if (!trimmed) continue;
    // Fewer context lines may differ than there are: some context must still match.
    const fuzzFactor = Math.max(0, Math.min(FUZZ_FACTOR, context - 1));
    const result = applyPatch(text, { hunks: [trimmed] } as StructuredPatch, { fuzzFactor });
    if (result !== false) return result;
  }
  return false;
}

/** `hunk` with at most `context` context lines each side; undefined for an unanchored insertion. */
function trimContext(hunk: StructuredPatchHunk, context: number): StructuredPatchHunk | undefined {
  const lines = hunk.lines.filter((line) => !line.startsWith('\\')); // "\ No newline at end of file"
  const leading = lines.findIndex((line) => !line.startsWith(' '));
  const trailing = [...lines].reverse().findIndex((line) => !line.startsWith(' '));
  if (leading === -1) return undefined;
  const dropFront = Math.max(0, leading - context);
  const dropBack = Math.max(0, trailing - context);
  const kept = lines.slice(dropFront, lines.length - dropBack);
  const removes = kept.some((line) => line.startsWith('-'));
  if (!removes && kept.every((line) => !line.startsWith(' '))) return undefined;
  const dropped = dropFront + dropBack;
  return {
    ...hunk,
    oldStart: hunk.oldStart + dropFront,
    newStart: hunk.newStart + dropFront,
    oldLines: hunk.oldLines - dropped,
    newLines: hunk.newLines - dropped,
    lines: kept,
  };
}

/**
 * Applies edits.json: for a line that other branches rewrite around the
 * change (the line that sends the response, which issue 14 changed from
 * end() to write()), a regular expression finds it in either form where a
 * patch would not. Each must match exactly once.
 */
function applyEdits(editsFile: string, root: string): void {
  for (const edit of JSON.parse(readFileSync(editsFile, 'utf8')) as Edit[]) {
    const path = join(root, edit.file);
    const text = readFileSync(path, 'utf8');
    const pattern = new RegExp(edit.find, 'g');
    const matches = text.match(pattern)?.length ?? 0;
    if (matches !== 1) throw new Error(`edits.json: /${edit.find}/ matches ${matches} times in ${edit.file}, not once`);
    writeFileSync(path, text.replace(pattern, edit.replace));
  }
}
