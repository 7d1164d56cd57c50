/**
 * Temporary trees for `npm run exercise -- ID --solution` and the proofs in
 * npm test: a copy of the course's part folders (without their tests and
 * exercises), node_modules linked, and a reference solution applied to it.
 *
 * A solution folder `partN/exercises/solutions/ID/` holds unified diffs
 * (`*.patch`, paths from the repository root, as `git diff` writes them),
 * applied with jsdiff and a fuzz factor so edits elsewhere in the file do not
 * stop them, and whole files under `files/` (copied to the same path).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { applyPatch, parsePatch } from 'diff';

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
  for (const part of PARTS) {
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

/** Removes a tree made by {@link copyTree}. */
export function removeTree(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** The folder holding exercise `id`'s reference solution, in the course at `course`. */
export function solutionDir(course: string, id: string): string {
  return join(course, `part${id.split('.')[0]}`, 'exercises', 'solutions', id);
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
    const result = applyPatch(readFileSync(path, 'utf8'), patch, { fuzzFactor: FUZZ_FACTOR });
    if (result === false) {
      throw new Error(`${basename(patchFile)} does not apply to ${file}: the lines it changes are not there any more`);
    }
    writeFileSync(path, result);
  }
}

/** Every file under `dir`, as paths relative to it. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const path = join(prefix, name);
    return statSync(join(dir, path)).isDirectory() ? listFiles(dir, path) : [path];
  });
}
