/**
 * What an exercise is, and how its check runs: the logic behind
 * `npm run exercise`.
 *
 * An exercise lives beside its part (`partN/exercises/exercises.ts` lists
 * them, `partN/exercises/solutions/ID/` holds the reference solution). Its
 * check is a list of steps run against a tree: the student's working tree, or
 * a temporary copy with the solution applied. A check imports the tree's own
 * modules (function-level: cheap, no processes) or talks to a server over a
 * socket; a socket check uses `--target HOST:PORT` when given, so a server
 * written in any language can be checked.
 */
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../lib/wire.ts';

/** One exercise of a part. */
export interface Exercise {
  /** `1.1`: part, then number. */
  id: string;
  title: string;
  /** One line: what to do. */
  summary: string;
  /**
   * 'socket': the check talks to a server and takes --target.
   * 'code': it imports the tree's modules; --target does not apply.
   */
  kind: 'socket' | 'code';
  /** Where the check can run (Part 3's /proc): elsewhere it is skipped, saying why. Default: all. */
  platforms?: NodeJS.Platform[];
  /** Runs the steps; each `ctx.step` records a pass or a failure. */
  check(ctx: CheckContext): Promise<void>;
}

/**
 * A hint for a step, shown one at a time when that step is the first to fail.
 * A string helps with any server; `{ course: text }` names the course's own
 * files or code (transcripts.json, `npm run record`, handleOneRequest), so a
 * `--target` run against a server of the student's own never shows it.
 */
export type Hint = string | { course: string };

/** A step's verdict. */
export interface StepResult {
  name: string;
  ok: boolean;
  /** Why it failed: a message, then a byte diff when bytes were compared. */
  details: string[];
  /** The step's hints, in the order they are shown. */
  hints: Hint[];
}

/** Thrown by a step to fail with details (a byte diff, a hint of what to change). */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** What a check gets: the tree to check, an optional target, and a place to report steps. */
export class CheckContext {
  readonly steps: StepResult[] = [];

  constructor(
    /** The tree checked: its part1/, part2/, part3/ are the student's code. */
    readonly root: string,
    /** `--target HOST:PORT`: the student's own running server, for socket checks. */
    readonly target?: Target,
  ) {}

  /**
   * Runs one step and records it; a thrown error fails the step, never the check run.
   * `hints` help with this step: the first failing step's are the ones shown.
   */
  async step(name: string, run: () => Promise<void> | void, hints: Hint[] = []): Promise<boolean> {
    try {
      await run();
      this.steps.push({ name, ok: true, details: [], hints });
      return true;
    } catch (error) {
      const details = error instanceof CheckFailure ? [error.message, ...error.details] : [describeError(error)];
      this.steps.push({ name, ok: false, details, hints });
      return false;
    }
  }

  /** Imports `file` (e.g. `part1/webserver1.ts`) from the tree checked. */
  async load(file: string): Promise<Record<string, unknown>> {
    if (!existsSync(join(this.root, file))) throw new CheckFailure(`${file} does not exist yet: create it`);
    try {
      return (await import(pathToFileURL(join(this.root, file)).href)) as Record<string, unknown>;
    } catch (error) {
      throw new CheckFailure(`${file} does not load: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  /** The export `name` of `file`, which must be a function. @throws CheckFailure saying what to add. */
  async need<T extends (...args: never[]) => unknown>(file: string, name: string, signature: string): Promise<T> {
    const module = await this.load(file);
    const value = module[name];
    if (typeof value !== 'function') {
      throw new CheckFailure(`${file} exports no function ${name}: add \`export function ${name}${signature}\``);
    }
    return value as T;
  }

  /** True when the check passed: at least one step ran and none failed. */
  get passed(): boolean {
    return this.steps.length > 0 && this.steps.every((step) => step.ok);
  }
}

/** Runs an exercise's check against `root` (and `target` for socket checks). */
export async function runCheck(exercise: Exercise, root: string, target?: Target): Promise<CheckContext> {
  const ctx = new CheckContext(root, exercise.kind === 'socket' ? target : undefined);
  try {
    await exercise.check(ctx);
  } catch (error) {
    ctx.steps.push({ name: 'the check itself', ok: false, details: [describeError(error)], hints: [] });
  }
  return ctx;
}

/** Fails unless `actual` is true, with `message` and optional details. */
export function expect(actual: boolean, message: string, details: string[] = []): void {
  if (!actual) throw new CheckFailure(message, details);
}

/** One line for an error a student's code threw: its kind and message, without Node's stack. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `threw ${String(error)}`;
  return `${error.name}: ${error.message.split('\n')[0]}`;
}
