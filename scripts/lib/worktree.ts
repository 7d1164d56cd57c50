/**
 * The student's working tree against the course as committed, through git:
 * which files differ from HEAD, what HEAD holds, and which of the differences
 * are an exercise's. `npm run exercise -- ID` records the exercises a student
 * has started (in the ignored `.exercises/`); a difference counts as an
 * exercise's when a started exercise's reference solution touches that file.
 * Only then may the course's own checks (npm test, the lesson drift check)
 * step aside for it: on a clean tree, or for a change no started exercise
 * explains (a developer's edit), they run and fail as before.
 *
 * Without git (a downloaded archive) nothing differs and nothing is an
 * exercise's: every check runs.
 *
 * Shared by `npm run exercise`, `npm run compare`, the site build and the tests (exercised.ts);
 * the files a reference solution writes are read here too (solutionFiles), and
 * scripts/exercises/trees.ts applies the solutions.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parsePatch } from 'diff';

/** Runs git in `root`; undefined when git is missing, or `root` is not the top of a git work tree. */
function git(root: string, args: string[]): Buffer | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

const topLevels = new Map<string, boolean>();

/** True when `root` is the top of a git work tree with a commit (a clone of the course). */
export function hasCommit(root: string): boolean {
  const key = resolve(root);
  let known = topLevels.get(key);
  if (known === undefined) {
    const top = git(root, ['rev-parse', '--show-toplevel'])?.toString().trim();
    // A temporary copy under a folder that is itself in git must not borrow that repository.
    known = top !== undefined && realpathSync(top) === realpathSync(key) && git(root, ['rev-parse', '--verify', '-q', 'HEAD']) !== undefined;
    topLevels.set(key, known);
  }
  return known;
}

/**
 * The bytes HEAD holds at `file` (relative, `/` separators), as `git show HEAD:file` prints
 * them; undefined when HEAD has no such file or `root` is not a clone.
 */
export function committedBytes(root: string, file: string): Buffer | undefined {
  if (!hasCommit(root)) return undefined;
  return git(root, ['show', `HEAD:${file}`]);
}

/**
 * Every file HEAD holds directly in `folder` (relative, `/` separators), by name, read with one
 * git process (`git ls-tree` and `git cat-file --batch`); undefined when `root` is not a clone.
 */
export function committedFolder(root: string, folder: string): Map<string, Buffer> | undefined {
  if (!hasCommit(root)) return undefined;
  const names = git(root, ['ls-tree', '--name-only', 'HEAD', `${folder}/`])?.toString('utf8').split('\n').filter(Boolean) ?? [];
  const files = new Map<string, Buffer>();
  if (names.length === 0) return files;
  let out: Buffer;
  try {
    const input = names.map((name) => `HEAD:${name}\n`).join('');
    out = execFileSync('git', ['-C', root, 'cat-file', '--batch'], { input, stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return undefined;
  }
  // Each answer: "<oid> <type> <size>\n", the bytes, "\n" (or "<name> missing\n").
  let at = 0;
  for (const name of names) {
    const eol = out.indexOf(0x0a, at);
    const [, type, size] = out.subarray(at, eol).toString('latin1').split(' ');
    at = eol + 1;
    if (type === undefined || size === undefined) continue; // missing
    if (type === 'blob') files.set(name.slice(folder.length + 1), out.subarray(at, at + Number(size)));
    at += Number(size) + 1;
  }
  return files;
}

/**
 * The files of `root` that differ from HEAD: changed, deleted, or new and not ignored
 * (relative, `/` separators). [] without git.
 */
export function changedFiles(root: string): string[] {
  if (!hasCommit(root)) return [];
  const out = git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all'])?.toString('utf8') ?? '';
  const files: string[] = [];
  const fields = out.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.length < 4) continue;
    files.push(field.slice(3));
    if (field[0] === 'R' || field[0] === 'C') i++; // a rename names its old path next
  }
  return files;
}

/** Where the exercise tool keeps its state: ignored by git (.gitignore). */
export function stateDir(root: string): string {
  return join(root, '.exercises');
}

/** The exercises started in `root` (`npm run exercise -- ID`, `--solution --apply`), oldest first. */
export function startedExercises(root: string): string[] {
  const file = join(stateDir(root), 'started.json');
  if (!existsSync(file)) return [];
  try {
    const ids = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return []; // a broken file: as if nothing was started, so every check runs
  }
}

/** Records that the student works on exercise `id` in `root`, or (`started` false) no longer. */
export function markStarted(root: string, id: string, started = true): void {
  const ids = startedExercises(root).filter((other) => other !== id);
  if (started) ids.push(id);
  mkdirSync(stateDir(root), { recursive: true });
  writeFileSync(join(stateDir(root), 'started.json'), `${JSON.stringify(ids)}\n`);
}

/**
 * The files that started exercises changed, each with the exercises that touch it:
 * a file differs from HEAD and a started exercise's reference solution writes it.
 * Empty on a clean tree, without git, or when no exercise was started.
 */
export function exerciseChanges(root: string): Map<string, string[]> {
  const changes = new Map<string, string[]>();
  const started = startedExercises(root);
  if (started.length === 0) return changes;
  const changed = new Set(changedFiles(root));
  for (const id of started) {
    let files: string[];
    try {
      files = solutionFiles(root, id);
    } catch {
      continue; // no such exercise any more (an old .exercises/): it explains nothing
    }
    for (const file of files.filter((name) => changed.has(name))) changes.set(file, [...(changes.get(file) ?? []), id]);
  }
  return changes;
}

/**
 * Why a check that reads `paths` (files, or folders ending in `/`) may differ from the
 * course: `exercise 1.1 changed part1/webserver1b.ts`; undefined when no started exercise
 * changed any of them.
 */
export function exerciseReason(changes: Map<string, string[]>, paths: string[]): string | undefined {
  const hits = [...changes].filter(([file]) => paths.some((path) => (path.endsWith('/') ? file.startsWith(path) : file === path)));
  if (hits.length === 0) return undefined;
  const ids = [...new Set(hits.flatMap(([, ids]) => ids))].sort();
  return `exercise${ids.length > 1 ? 's' : ''} ${ids.join(', ')} changed ${hits.map(([file]) => file).join(', ')}`;
}

/**
 * Puts back the course's version of each file in `files` that an exercise changed, in
 * `root` or in a copy of it at `into`: HEAD's bytes, or no file where HEAD has none.
 * @returns what it did, one line per file
 */
export function restoreCommitted(root: string, files: string[], into = root): string[] {
  const done: string[] = [];
  for (const file of files) {
    const bytes = committedBytes(root, file);
    const path = join(into, file);
    if (bytes === undefined) {
      if (!existsSync(path)) continue;
      rmSync(path, { force: true });
      done.push(`removed ${file} (the course has no such file)`);
    } else if (into === root) {
      git(root, ['checkout', 'HEAD', '--', file]); // with git's own checkout filters, index too
      done.push(`restored ${file}`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      done.push(`restored ${file}`);
    }
  }
  return done;
}

/** The course as committed beside the student's tree, for the lesson drift check (scripts/site/lessons.ts). */
export interface CourseView {
  /** A temporary tree: the part folders and docs' pages, with the committed version of each file in `changes`. */
  root: string;
  /** The files started exercises changed, each with the exercises that touch it. */
  changes: Map<string, string[]>;
  /** Removes the temporary tree. */
  dispose(): void;
}

/**
 * A {@link CourseView} of `root`; undefined when no started exercise changed a file (a clean
 * tree, no git, nothing started): then the drift check has nothing to tell apart.
 */
export function courseView(root: string): CourseView | undefined {
  const changes = exerciseChanges(root);
  if (changes.size === 0) return undefined;
  const view = mkdtempSync(join(tmpdir(), 'lsbaws-course-'));
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && /^part\d+$/.test(entry.name)) cpSync(join(root, entry.name), join(view, entry.name), { recursive: true });
  }
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')) : [];
  for (const name of docs) cpSync(join(root, 'docs', name), join(view, 'docs', name));
  restoreCommitted(root, [...changes.keys()], view);
  return { root: view, changes, dispose: () => rmSync(view, { recursive: true, force: true }) };
}

// Reference solutions, as far as telling which files an exercise touches needs them.

/** The folder holding exercise `id`'s reference solution, in the course at `course`. */
export function solutionDir(course: string, id: string): string {
  return join(course, `part${id.split('.')[0]}`, 'exercises', 'solutions', id);
}

/**
 * The files exercise `id`'s reference solution writes (relative, `/` separators): what
 * the exercise touches, for `npm run exercise -- reset ID` and for the checks that step
 * aside for an exercise (worktree.ts).
 * @throws Error when the exercise has no solution folder
 */
export function solutionFiles(course: string, id: string): string[] {
  const dir = solutionDir(course, id);
  if (!existsSync(dir)) throw new Error(`exercise ${id} has no reference solution (${relative(course, dir)})`);
  const files = new Set<string>();
  for (const name of readdirSync(dir).filter((name) => name.endsWith('.patch'))) {
    for (const patch of parsePatch(readFileSync(join(dir, name), 'utf8'))) {
      files.add((patch.newFileName ?? patch.oldFileName ?? '').replace(/^[ab]\//, ''));
    }
  }
  if (existsSync(join(dir, 'edits.json'))) {
    for (const edit of JSON.parse(readFileSync(join(dir, 'edits.json'), 'utf8')) as Edit[]) files.add(edit.file);
  }
  if (existsSync(join(dir, 'files'))) for (const file of listFiles(join(dir, 'files'))) files.add(file.split(sep).join('/'));
  return [...files].sort();
}

/** One edit of edits.json: replace the one match of `find` (a regular expression) in `file`. */
export interface Edit {
  file: string;
  find: string;
  replace: string;
  /** Why this is an edit rather than a patch line, for the next maintainer. */
  why?: string;
}

/** Every file under `dir`, as paths relative to it. */
export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const path = join(prefix, name);
    return statSync(join(dir, path)).isDirectory() ? listFiles(dir, path) : [path];
  });
}
