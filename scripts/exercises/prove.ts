/**
 * Proving a check honest: on a temporary copy of the course as it is, the
 * check must fail; on another copy with the reference solution applied, it
 * must pass. npm test runs this for every exercise (scripts/exercise.test.ts),
 * `npm run exercise -- prove` on demand, e.g. after a merge moved the lines a
 * solution patches.
 */
import { runCheck, type CheckContext, type Exercise } from './exercise.ts';
import { applySolution, copyCourse, removeTree } from './trees.ts';

/** The outcome of one proof. */
export interface Proof {
  id: string;
  honest: boolean;
  /** One line: what happened, or what is wrong. */
  summary: string;
  /** The failing steps' details, to read when the proof is not honest. */
  details: string[];
}

/** Runs `exercise`'s check on the course as it is and with its solution, each on its own copy. */
export async function proveExercise(course: string, exercise: Exercise): Promise<Proof> {
  const [before, after] = await Promise.all([onCopy(course, exercise, false), onCopy(course, exercise, true)]);
  const id = exercise.id;
  if (typeof after === 'string') return { id, honest: false, summary: after, details: [] };
  if (typeof before === 'string') return { id, honest: false, summary: before, details: [] };
  const failing = (ctx: CheckContext) => ctx.steps.filter((step) => !step.ok);
  if (before.passed) return { id, honest: false, summary: 'the check passes on the course as shipped: it cannot fail', details: [] };
  if (!after.passed) {
    const details = failing(after).flatMap((step) => [`FAIL ${step.name}`, ...step.details]);
    return { id, honest: false, summary: 'the check fails with the reference solution', details };
  }
  const first = failing(before)[0]!;
  return { id, honest: true, summary: `fails as shipped (${first.name}: ${first.details[0] ?? ''}), passes solved`, details: [] };
}

async function onCopy(course: string, exercise: Exercise, solved: boolean): Promise<CheckContext | string> {
  const root = copyCourse(course); // the course as shipped, even after the student solved exercises
  try {
    if (solved) applySolution(course, exercise.id, root);
    return await runCheck(exercise, root);
  } catch (error) {
    return (error as Error).message;
  } finally {
    removeTree(root);
  }
}
