/**
 * npm run exercise                          lists every exercise: id, title, one line
 * npm run exercise -- status [--target HOST:PORT]   which ones pass (as of their last check)
 * npm run exercise -- 1.1                   checks exercise 1.1 against your working tree
 * npm run exercise -- 1.1 --hint            the check, then the next hint for the step that fails
 * npm run exercise -- 1.1 --target HOST:PORT   a socket check against your own running server
 * npm run exercise -- 1.1 --solution        the same check on a temporary copy of the course
 *                                           with the reference solution applied
 * npm run exercise -- 1.1 --solution --apply   for teachers: puts the reference solution into
 *                                           the working tree, then checks it
 * npm run exercise -- reset 1.1             puts back the course's version of every file
 *                                           exercise 1.1 touches (yours is kept in .exercises/)
 * npm run exercise -- prove [ID ...]        for maintainers: every check fails on the course
 *                                           as it is and passes with its solution
 *
 * A check prints each step as PASS or FAIL; a failed step says why, with a
 * byte diff (CR and LF visible) where bytes are compared, and the check ends
 * with a hint for the first step that fails. Progress and hints are kept per
 * exercise and per server checked (the working tree, or each --target) in the
 * ignored `.exercises/`. A check of the working tree also records that the
 * exercise is started: npm test and the site then step aside, naming it, for
 * the course's bytes and lesson blocks it changes (scripts/lib/worktree.ts).
 * Exit status: 0 when the check passes, 1 when it does not, 2 on bad usage.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCheck, type CheckContext, type Exercise } from './exercises/exercise.ts';
import { chooseHint, progressOf, readProgress, WORKING_TREE, writeProgress, type Progress } from './exercises/progress.ts';
import { proveExercise } from './exercises/prove.ts';
import { EXERCISES, findExercise } from './exercises/registry.ts';
import { applySolution, copyCourse, removeTree } from './exercises/trees.ts';
import { changedFiles, exerciseChanges, hasCommit, markStarted, restoreCommitted, solutionFiles, stateDir } from './lib/worktree.ts';
import { parseTarget } from './lib/compare.ts';
import type { Target } from './lib/wire.ts';
import { paint, stopQuietlyOnEpipe } from './lib/cli.ts';
import { REPO_ROOT } from './lib/repo.ts';


const usage = [
  'usage: npm run exercise                      (list)',
  '       npm run exercise -- status [--target HOST:PORT]',
  '       npm run exercise -- ID [--hint] [--target HOST:PORT]',
  '       npm run exercise -- ID --solution [--apply]',
  '       npm run exercise -- reset ID',
  '       npm run exercise -- prove [ID ...]',
].join('\n');

stopQuietlyOnEpipe();

function list(progress?: Progress, where = WORKING_TREE): void {
  let part = '';
  const done = progress?.[where] ?? {};
  if (progress) console.log(`Progress against ${where === WORKING_TREE ? 'your working tree' : where}:`);
  for (const exercise of EXERCISES) {
    const thisPart = exercise.id.split('.')[0]!;
    if (thisPart !== part) console.log(`${part ? '\n' : ''}Part ${(part = thisPart)}`);
    const mark = progress ? (done[exercise.id]?.passed ? paint(32, 'done   ') : 'not yet') + '  ' : '';
    console.log(`  ${mark}${exercise.id}  ${exercise.title}: ${exercise.summary}`);
  }
  if (!progress) {
    console.log('\nRun one: npm run exercise -- 1.1   (--hint for a hint, status for your progress)');
    return;
  }
  const count = EXERCISES.filter((exercise) => done[exercise.id]?.passed).length;
  console.log(`\n${count} of ${EXERCISES.length} done (as of each exercise's last check).`);
  const others = Object.keys(progress).filter((other) => other !== where);
  if (others.length) console.log(`Also checked: ${others.map((other) => (other === WORKING_TREE ? 'your working tree (status)' : `${other} (status --target ${other})`)).join(', ')}`);
}

function report(ctx: CheckContext): void {
  for (const step of ctx.steps) {
    console.log(`${step.ok ? paint(32, 'PASS') : paint(31, 'FAIL')}  ${step.name}`);
    for (const line of step.details.flatMap((detail) => detail.replace(/\n$/, '').split('\n'))) {
      console.log(`      ${line.startsWith('- ') ? paint(31, line) : line.startsWith('+ ') ? paint(32, line) : line}`);
    }
  }
}

/** Prints the hint for the first failing step (the next one with `next`), and records it. */
function printHint(exercise: Exercise, ctx: CheckContext, where: string, next: boolean): void {
  const failing = ctx.steps.find((step) => !step.ok);
  if (!failing) return;
  const progress = readProgress(REPO_ROOT);
  const choice = chooseHint(progressOf(progress, where, exercise.id), failing, ctx.target !== undefined, next);
  writeProgress(REPO_ROOT, progress);
  if (!choice) {
    console.log(`(no hint for "${failing.name}": its message above says what differs)`);
    return;
  }
  console.log(`Hint ${choice.index + 1} of ${choice.count} for "${choice.step}": ${choice.text}`);
  const again = `npm run exercise -- ${exercise.id} --hint${ctx.target ? ` --target ${where}` : ''}`;
  if (choice.index + 1 < choice.count) console.log(`(${again} for the next)`);
  else if (next) console.log(`(that was this step's last hint; npm run exercise -- ${exercise.id} --solution runs the reference solution on a copy)`);
}

interface CheckOptions {
  target?: Target;
  solution: boolean;
  hint: boolean;
}

async function check(exercise: Exercise, options: CheckOptions): Promise<number> {
  const target = exercise.kind === 'socket' ? options.target : undefined;
  const where = target ? `${target.host}:${target.port}` : WORKING_TREE;
  console.log(`${exercise.id} ${exercise.title}: checking ${options.solution ? 'a temporary copy of the course with the reference solution' : target ? where : 'your working tree'}`);
  if (options.target && exercise.kind === 'code') console.log("(this check calls your code's functions: --target does not apply)");
  if (exercise.platforms && !exercise.platforms.includes(process.platform)) {
    console.log(`This check needs ${exercise.platforms.join(' or ')} (it reads /proc): it cannot run on ${process.platform}.`);
    return 1;
  }
  let root = REPO_ROOT;
  if (options.solution) {
    root = copyCourse(REPO_ROOT);
    try {
      applySolution(REPO_ROOT, exercise.id, root);
    } catch (error) {
      removeTree(root);
      console.error(`${(error as Error).message}\n(the solution is made for the course as shipped: try it on a fresh clone)`);
      return 1;
    }
  } else if (!target) {
    markStarted(REPO_ROOT, exercise.id); // npm test and the site now step aside for what this exercise changes
  }
  let ctx: CheckContext;
  try {
    ctx = await runCheck(exercise, root, target);
  } finally {
    if (options.solution) removeTree(root);
  }
  report(ctx);
  const passing = ctx.steps.filter((step) => step.ok).length;
  if (!options.solution) {
    const progress = readProgress(REPO_ROOT);
    const record = progressOf(progress, where, exercise.id);
    if (ctx.passed) record.passed = new Date().toISOString();
    else delete record.passed;
    writeProgress(REPO_ROOT, progress);
  }
  if (ctx.passed) {
    console.log(paint(32, `Done: ${exercise.id} passes (${passing} of ${ctx.steps.length} steps).`));
    return 0;
  }
  console.log(paint(31, `Not yet: ${passing} of ${ctx.steps.length} steps pass.`));
  if (!options.solution) printHint(exercise, ctx, where, options.hint);
  return 1;
}

/** `--solution --apply`: the reference solution into the working tree, for a teacher to show. */
function apply(exercise: Exercise): number {
  if (!hasCommit(REPO_ROOT)) {
    console.error('--apply needs a git clone of the course: without one, reset could not put the course back.');
    return 1;
  }
  const files = solutionFiles(REPO_ROOT, exercise.id);
  const changed = new Set(changedFiles(REPO_ROOT));
  const yours = files.filter((file) => changed.has(file));
  if (yours.length > 0) {
    console.error(`Not applied: ${yours.join(', ')} already differ${yours.length === 1 ? 's' : ''} from the course.`);
    console.error(`Commit or keep your work elsewhere, or npm run exercise -- reset ${exercise.id}, then apply again.`);
    return 1;
  }
  try {
    applySolution(REPO_ROOT, exercise.id, REPO_ROOT);
  } catch (error) {
    restoreCommitted(REPO_ROOT, files); // all or nothing: a half-applied solution helps nobody
    console.error(`${(error as Error).message}\n(the course changed under the solution: npm run exercise -- prove ${exercise.id} says more)`);
    return 1;
  }
  markStarted(REPO_ROOT, exercise.id);
  console.log(`Applied exercise ${exercise.id}'s reference solution to your working tree:`);
  for (const file of changedFiles(REPO_ROOT).filter((file) => files.includes(file))) console.log(`  ${file}`);
  console.log(`npm test and the site now step aside for what it changes, naming exercise ${exercise.id}.`);
  console.log(`npm run exercise -- reset ${exercise.id} puts the course back.\n`);
  // In a new process: this one has loaded the course's modules as they were before the apply.
  const checked = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, exercise.id], { stdio: 'inherit' });
  return checked.status ?? 1;
}

/** `reset ID`: the course's version of every file the exercise touches; the student's is kept. */
function reset(exercise: Exercise): number {
  if (!hasCommit(REPO_ROOT)) {
    console.error('reset needs a git clone of the course: it puts back the files of its last commit.');
    return 1;
  }
  const files = solutionFiles(REPO_ROOT, exercise.id);
  const changed = changedFiles(REPO_ROOT);
  const touched = changed.filter((file) => files.includes(file));
  markStarted(REPO_ROOT, exercise.id, false);
  if (touched.length === 0) {
    console.log(`Nothing to reset: the files exercise ${exercise.id} touches are as the course has them (${files.join(', ')}).`);
    return 0;
  }
  const kept = join(stateDir(REPO_ROOT), 'reset', `${exercise.id}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  for (const file of touched.filter((name) => existsSync(join(REPO_ROOT, name)))) {
    mkdirSync(dirname(join(kept, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(kept, file));
  }
  const shared = [...exerciseChanges(REPO_ROOT)].filter(([file, ids]) => touched.includes(file) && ids.some((id) => id !== exercise.id));
  console.log(`Exercise ${exercise.id}, reset to the course:`);
  for (const line of restoreCommitted(REPO_ROOT, touched)) console.log(`  ${line}`);
  console.log(`Your version is kept in ${join('.exercises', 'reset', kept.split(/[\\/]/).at(-1)!)}/ (ignored by git).`);
  for (const [file, ids] of shared) console.log(`${file} held exercise ${ids.filter((id) => id !== exercise.id).join(', ')} too: that is undone as well.`);
  const part = `part${exercise.id.split('.')[0]}/`;
  const others = changed.filter((file) => file.startsWith(part) && !files.includes(file));
  if (others.length) console.log(`Left as they are (not files of exercise ${exercise.id}): ${others.join(', ')}`);
  return 0;
}

async function prove(ids: string[]): Promise<number> {
  const chosen = ids.length ? ids.map((id) => findExercise(id)) : EXERCISES;
  if (chosen.some((exercise) => !exercise)) {
    console.error(`no such exercise: ${ids.filter((id) => !findExercise(id)).join(', ')}`);
    return 2;
  }
  const here = chosen.filter((exercise) => !exercise!.platforms || exercise!.platforms.includes(process.platform));
  for (const exercise of chosen) if (!here.includes(exercise)) console.log(`SKIP    ${exercise!.id}  needs ${exercise!.platforms!.join(' or ')}`);
  const proofs = await Promise.all(here.map((exercise) => proveExercise(REPO_ROOT, exercise!)));
  for (const proof of proofs) {
    console.log(`${proof.honest ? paint(32, 'HONEST') : paint(31, 'BROKEN')}  ${proof.id}  ${proof.summary}`);
  }
  return proofs.every((proof) => proof.honest) ? 0 : 1;
}

function exerciseNamed(id: string | undefined): Exercise | undefined {
  const exercise = id === undefined ? undefined : findExercise(id);
  if (!exercise) console.error(`${id === undefined ? 'which exercise?' : `no exercise '${id}' (npm run exercise lists them)`}\n${usage}`);
  return exercise;
}

async function main(): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      allowPositionals: true,
      options: { hint: { type: 'boolean' }, solution: { type: 'boolean' }, apply: { type: 'boolean' }, target: { type: 'string' } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  let target: Target | undefined;
  try {
    target = values.target === undefined ? undefined : parseTarget(values.target);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const [command, ...rest] = positionals;
  if (command === undefined) return list(), 0;
  if (command === 'status') return list(readProgress(REPO_ROOT), target ? `${target.host}:${target.port}` : WORKING_TREE), 0;
  if (command === 'prove') return prove(rest);
  if (command === 'reset') {
    const exercise = rest.length === 1 ? exerciseNamed(rest[0]) : exerciseNamed(undefined);
    return exercise ? reset(exercise) : 2;
  }
  const exercise = exerciseNamed(command);
  if (!exercise) return 2;
  const misuse =
    rest.length > 0 ? `unexpected: ${rest.join(' ')}` : values.apply && !values.solution ? '--apply goes with --solution' : values.solution && (values.hint || target) ? '--solution takes neither --hint nor --target' : undefined;
  if (misuse) {
    console.error(`${misuse}\n${usage}`);
    return 2;
  }
  if (values.apply) return apply(exercise);
  return check(exercise, { ...(target ? { target } : {}), solution: values.solution ?? false, hint: values.hint ?? false });
}

process.exitCode = await main();
