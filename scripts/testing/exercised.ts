/**
 * A test that holds the course's own bytes (a golden transcript, Hello,
 * World) must fail when the course breaks, and may step aside when a student
 * changed those bytes on purpose by solving an exercise. `exercised(paths,
 * body)` runs the test; when it fails and an exercise the student started
 * (`npm run exercise -- ID`, recorded in the ignored `.exercises/`) changed a
 * file in `paths` from the committed course, the test is skipped instead,
 * naming them: "exercise 1.1 changed part1/webserver1b.ts". On a clean tree,
 * without git, or for a change no started exercise explains, the failure
 * stands (scripts/lib/worktree.ts says how a change is attributed).
 */
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';
import { exerciseChanges, exerciseReason } from '../lib/worktree.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let changes: Map<string, string[]> | undefined;

/**
 * Why a check reading `paths` (files, or folders ending in `/`, relative to the repo) may
 * differ from the course in this working tree; undefined when nothing explains it.
 */
export function exercisedReason(paths: string[], root = ROOT): string | undefined {
  if (root !== ROOT) return exerciseReason(exerciseChanges(root), paths);
  changes ??= exerciseChanges(ROOT); // once per test file: git status is not free
  return exerciseReason(changes, paths);
}

/** Wraps a test body: a failure becomes a skip, with the reason, when a started exercise explains it. */
export function exercised(paths: string[], body: (ctx: TestContext) => unknown, root = ROOT): (ctx: TestContext) => Promise<void> {
  return async (ctx) => {
    try {
      await body(ctx);
    } catch (error) {
      const reason = exercisedReason(paths, root);
      if (reason === undefined) throw error;
      // The default reporter prints no skip reasons: say it where a student reads npm test's output.
      console.warn(`skipped "${ctx.task.name}": ${reason}`);
      ctx.skip(reason);
    }
  };
}

type Body = (ctx: TestContext) => unknown;
// any: vitest's it has many overloads, and this passes its arguments through untouched.
type It = (name: string, ...rest: any[]) => unknown;

/**
 * vitest's `it` with every test body wrapped in {@link exercised}: for a test file that holds
 * the bytes of `paths` throughout (`const it = exercisedIt(vitestIt, ['part1/'])`). Takes
 * `it(name, body, timeout)` and `it(name, options, body)`.
 */
export function exercisedIt<T extends It>(base: T, paths: string[]): T {
  const wrapped = (name: string, ...rest: unknown[]) =>
    base(name, ...rest.map((arg) => (typeof arg === 'function' ? exercised(paths, arg as Body) : arg)));
  // it.each passes its rows, not the test's context, so a started exercise could not skip it.
  const each = () => {
    throw new Error('exercisedIt: write a for loop of it(...) instead of it.each (no skip without a context)');
  };
  return Object.assign(wrapped, base, { each }) as unknown as T;
}
