/**
 * Steps of the course and the diffs between them: behind `npm run diff` and
 * the `diff=A..B` blocks the lessons quote (checked like code blocks).
 */
import { existsSync } from 'node:fs';
import { readText } from './text.ts';
import { join } from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/**
 * The file of a step: `1` -> part1/webserver1.ts, `1b` -> part1/webserver1b.ts,
 * `2` -> part2/webserver2.ts, `2b` -> part2/webserver2b.ts, `3a` ... `3i` ->
 * part3/webserver3a.ts ...
 * @throws Error naming the step when it is not one.
 */
export function stepFile(step: string): string {
  if (step === '1' || step === '2') return `part${step}/webserver${step}.ts`;
  if (step === '1b' || step === '2b') return `part${step[0]}/webserver${step}.ts`;
  if (/^3[a-i]$/.test(step)) return `part3/webserver${step}.ts`;
  throw new Error(`'${step}' is not a step: use 1, 1b, 2, 2b or 3a ... 3i`);
}

/**
 * The unified diff from step `a` to step `b` (`--- a` / `+++ b` headers, then
 * hunks with `context` lines around each change), as `diff -u` prints it.
 * @throws Error when a step or its file does not exist.
 */
export function stepDiff(root: string, a: string, b: string, context = 3): string {
  const [fileA, fileB] = [stepFile(a), stepFile(b)];
  for (const file of [fileA, fileB]) if (!existsSync(join(root, file))) throw new Error(`${file} does not exist`);
  const patch = createTwoFilesPatch(fileA, fileB, readText(join(root, fileA)), readText(join(root, fileB)), undefined, undefined, {
    context,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch.replace(/^=+\n/, '').trimEnd();
}
