/**
 * npm run exercise                          lists every exercise: id, title, one line
 * npm run exercise -- status                which ones pass (as of their last check)
 * npm run exercise -- 1.1                   checks exercise 1.1 against your working tree
 * npm run exercise -- 1.1 --hint            the next hint (remembered in .exercises/)
 * npm run exercise -- 1.1 --target HOST:PORT   a socket check against your own running server
 * npm run exercise -- 1.1 --solution        the same check on a temporary copy of your tree
 *                                           with the reference solution applied
 * npm run exercise -- prove [ID ...]        for maintainers: every check fails on the course
 *                                           as it is and passes with its solution
 *
 * A check prints each step as PASS or FAIL; a failed step says why, with a
 * byte diff (CR and LF visible) where bytes are compared, and the check
 * ends with a hint. Exit status: 0 when the check passes, 1 when it does
 * not, 2 on bad usage.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCheck, type CheckContext, type Exercise } from './exercises/exercise.ts';
import { proveExercise } from './exercises/prove.ts';
import { EXERCISES, findExercise } from './exercises/registry.ts';
import { applySolution, copyTree, removeTree } from './exercises/trees.ts';
import { parseTarget } from './testing/compare.ts';
import type { Target } from './testing/wire.ts';
import { paint, stopQuietlyOnEpipe } from './cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Ignored by git: which hints were shown, which exercises passed. */
const STATE_FILE = join(ROOT, '.exercises', 'state.json');

const usage = [
  'usage: npm run exercise                      (list)',
  '       npm run exercise -- status',
  '       npm run exercise -- ID [--hint | --solution] [--target HOST:PORT]',
  '       npm run exercise -- prove [ID ...]',
].join('\n');

stopQuietlyOnEpipe();

interface State {
  hintsShown: Record<string, number>;
  passed: Record<string, string>;
}

function readState(): State {
  const empty: State = { hintsShown: {}, passed: {} };
  if (!existsSync(STATE_FILE)) return empty;
  try {
    return { ...empty, ...(JSON.parse(readFileSync(STATE_FILE, 'utf8')) as Partial<State>) };
  } catch {
    return empty; // a hand-edited, broken file: start again rather than fail
  }
}

function writeState(state: State): void {
  mkdirSync(join(ROOT, '.exercises'), { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

function list(state?: State): void {
  let part = '';
  for (const exercise of EXERCISES) {
    const thisPart = exercise.id.split('.')[0]!;
    if (thisPart !== part) console.log(`${part ? '\n' : ''}Part ${(part = thisPart)}`);
    const mark = state ? (state.passed[exercise.id] ? paint(32, 'done   ') : 'not yet') + '  ' : '';
    console.log(`  ${mark}${exercise.id}  ${exercise.title}: ${exercise.summary}`);
  }
  if (state) {
    const done = EXERCISES.filter((exercise) => state.passed[exercise.id]).length;
    console.log(`\n${done} of ${EXERCISES.length} done (as of each exercise's last check).`);
  } else {
    console.log('\nRun one: npm run exercise -- 1.1   (--hint for a hint, status for your progress)');
  }
}

function printHint(exercise: Exercise, state: State, next: boolean): void {
  const shown = state.hintsShown[exercise.id] ?? 0;
  const index = next ? Math.min(shown, exercise.hints.length - 1) : Math.max(shown - 1, 0);
  console.log(`Hint ${index + 1} of ${exercise.hints.length}: ${exercise.hints[index]}`);
  if (index + 1 < exercise.hints.length) console.log(`(npm run exercise -- ${exercise.id} --hint for the next)`);
  else if (next) console.log(`(that was the last hint; npm run exercise -- ${exercise.id} --solution runs the reference solution on a copy)`);
  state.hintsShown[exercise.id] = Math.max(shown, index + 1);
  writeState(state);
}

function report(ctx: CheckContext): void {
  for (const step of ctx.steps) {
    console.log(`${step.ok ? paint(32, 'PASS') : paint(31, 'FAIL')}  ${step.name}`);
    for (const line of step.details.flatMap((detail) => detail.replace(/\n$/, '').split('\n'))) {
      console.log(`      ${line.startsWith('- ') ? paint(31, line) : line.startsWith('+ ') ? paint(32, line) : line}`);
    }
  }
}

async function check(exercise: Exercise, target: Target | undefined, solution: boolean): Promise<number> {
  const where = target && exercise.kind === 'socket' ? `${target.host}:${target.port}` : solution ? 'a temporary copy with the reference solution' : 'your working tree';
  console.log(`${exercise.id} ${exercise.title}: checking ${where}`);
  if (target && exercise.kind === 'code') console.log('(this check calls your code\'s functions: --target does not apply)');
  if (exercise.platforms && !exercise.platforms.includes(process.platform)) {
    console.log(`This check needs ${exercise.platforms.join(' or ')} (it reads /proc): it cannot run on ${process.platform}.`);
    return 1;
  }
  let root = ROOT;
  if (solution) {
    root = copyTree(ROOT);
    try {
      applySolution(ROOT, exercise.id, root);
    } catch (error) {
      removeTree(root);
      console.error(`${(error as Error).message}\n(the solution is made for the course as shipped: try it on a fresh clone)`);
      return 1;
    }
  }
  let ctx: CheckContext;
  try {
    ctx = await runCheck(exercise, root, target);
  } finally {
    if (solution) removeTree(root);
  }
  report(ctx);
  const state = readState();
  const passing = ctx.steps.filter((step) => step.ok).length;
  if (ctx.passed) {
    console.log(paint(32, `Done: ${exercise.id} passes (${passing} of ${ctx.steps.length} steps).`));
    if (!solution) {
      state.passed[exercise.id] = new Date().toISOString();
      writeState(state);
    }
    return 0;
  }
  console.log(paint(31, `Not yet: ${passing} of ${ctx.steps.length} steps pass.`));
  if (!solution) {
    delete state.passed[exercise.id];
    printHint(exercise, state, (state.hintsShown[exercise.id] ?? 0) === 0);
  }
  return 1;
}

async function prove(ids: string[]): Promise<number> {
  const chosen = ids.length ? ids.map((id) => findExercise(id)) : EXERCISES;
  if (chosen.some((exercise) => !exercise)) {
    console.error(`no such exercise: ${ids.filter((id) => !findExercise(id)).join(', ')}`);
    return 2;
  }
  const here = chosen.filter((exercise) => !exercise!.platforms || exercise!.platforms.includes(process.platform));
  for (const exercise of chosen) if (!here.includes(exercise)) console.log(`SKIP    ${exercise!.id}  needs ${exercise!.platforms!.join(' or ')}`);
  const proofs = await Promise.all(here.map((exercise) => proveExercise(ROOT, exercise!)));
  for (const proof of proofs) {
    console.log(`${proof.honest ? paint(32, 'HONEST') : paint(31, 'BROKEN')}  ${proof.id}  ${proof.summary}`);
  }
  return proofs.every((proof) => proof.honest) ? 0 : 1;
}

async function main(): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      allowPositionals: true,
      options: { hint: { type: 'boolean' }, solution: { type: 'boolean' }, target: { type: 'string' } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const [command, ...rest] = positionals;
  if (command === undefined) return list(), 0;
  if (command === 'status') return list(readState()), 0;
  if (command === 'prove') return prove(rest);
  const exercise = findExercise(command);
  if (!exercise || rest.length > 0) {
    console.error(`${exercise ? `unexpected: ${rest.join(' ')}` : `no exercise '${command}' (npm run exercise lists them)`}\n${usage}`);
    return 2;
  }
  if (values.hint) return printHint(exercise, readState(), true), 0;
  let target: Target | undefined;
  try {
    target = values.target === undefined ? undefined : parseTarget(values.target);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  return check(exercise, target, values.solution ?? false);
}

process.exitCode = await main();
