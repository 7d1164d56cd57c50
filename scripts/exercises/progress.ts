/**
 * A student's progress, kept in the ignored `.exercises/progress.json`: per
 * server checked (`working tree`, or the `HOST:PORT` of a --target run), per
 * exercise, when it last passed and how many hints of each step were shown.
 * A hint belongs to a step (exercise.ts), so the hint shown is always one of
 * the first failing step's, and a --target run never counts, or shows, the
 * hints about the course's own files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hint, StepResult } from './exercise.ts';
import { stateDir } from '../lib/worktree.ts';

/** The progress on one exercise against one server. */
export interface ExerciseProgress {
  /** When the check last passed (ISO 8601); absent when it has not, or failed since. */
  passed?: string;
  /** Per step name: how many of its hints were shown. */
  hintsShown: Record<string, number>;
}

/** Per server checked (`working tree`, `127.0.0.1:8000`), per exercise id. */
export type Progress = Record<string, Record<string, ExerciseProgress>>;

/** The key of the working tree's progress; a --target run's is its HOST:PORT. */
export const WORKING_TREE = 'working tree';

function progressFile(root: string): string {
  return join(stateDir(root), 'progress.json');
}

/** Reads the progress; an absent or hand-broken file is a fresh start rather than a failure. */
export function readProgress(root: string): Progress {
  const file = progressFile(root);
  if (existsSync(file)) {
    try {
      const progress = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (progress && typeof progress === 'object' && !Array.isArray(progress)) return progress as Progress;
    } catch {
      // broken: start again
    }
  }
  return {};
}

export function writeProgress(root: string, progress: Progress): void {
  mkdirSync(stateDir(root), { recursive: true });
  writeFileSync(progressFile(root), `${JSON.stringify(progress, null, 2)}\n`);
}

/** The progress record of exercise `id` against `where`, created empty when absent. */
export function progressOf(progress: Progress, where: string, id: string): ExerciseProgress {
  const server = (progress[where] ??= {});
  const record = (server[id] ??= { hintsShown: {} });
  record.hintsShown ??= {};
  return record;
}

/** The text of a hint. */
export function hintText(hint: Hint): string {
  return typeof hint === 'string' ? hint : hint.course;
}

/** The hints of a step that fit the server checked: a --target run leaves out those about the course's files. */
export function usableHints(step: StepResult, target: boolean): Hint[] {
  return step.hints.filter((hint) => !target || typeof hint === 'string');
}

/** The hint to show for the first failing step, and the record updated. */
export interface HintChoice {
  step: string;
  /** 0-based, of `count`. */
  index: number;
  count: number;
  text: string;
}

/**
 * Picks the hint for `step` (the first failing one): the next one when `next`
 * or when none of its hints was shown yet, else the last one shown again.
 * Records it in `record`. Undefined when the step has no hint for this server.
 */
export function chooseHint(record: ExerciseProgress, step: StepResult, target: boolean, next: boolean): HintChoice | undefined {
  const hints = usableHints(step, target);
  if (hints.length === 0) return undefined;
  const shown = record.hintsShown[step.name] ?? 0;
  const index = next || shown === 0 ? Math.min(shown, hints.length - 1) : shown - 1;
  record.hintsShown[step.name] = Math.max(shown, index + 1);
  return { step: step.name, index, count: hints.length, text: hintText(hints[index]!) };
}
