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
  for (const file of [fileA, fileB])
    if (!existsSync(join(root, file))) throw new Error(`${file} does not exist`);
  const patch = createTwoFilesPatch(
    fileA,
    fileB,
    readText(join(root, fileA)),
    readText(join(root, fileB)),
    undefined,
    undefined,
    {
      context,
      headerOptions: FILE_HEADERS_ONLY,
    },
  );
  return patch.replace(/^=+\n/, '').trimEnd();
}

/**
 * Part 3's neighbour pairs and the code each lesson changes: the lines a
 * diff adds or removes outside the banner (the file's first comment), with
 * the reason. scripts/site/neighbours.test.ts holds every pair to its budget, so
 * a change the lesson does not declare (a reflow, a moved constant, a fix
 * folded in) fails it; a lesson that needs more says so here.
 */
export const PART3_NEIGHBOURS: ReadonlyArray<{
  pair: [string, string];
  budget: number;
  why: string;
}> = [
  {
    pair: ['3a', '3b'],
    budget: 51,
    why: "the sleep: sleepSync after the response, DEFAULT_SLEEP_SECONDS, --sleep; 3a's acceptQueue imported, not copied",
  },
  {
    pair: ['3b', '3c'],
    budget: 104,
    why: "the hand-over: serveForever forks, sendConnection, serveChild, --child; main becomes plumbing's, parent or child, with the step's option table",
  },
  {
    pair: ['3c', '3d'],
    budget: 50,
    why: "the forgotten close: two lines commented out, the count; the child is 3c's",
  },
  {
    pair: ['3d', '3e'],
    budget: 27,
    why: 'the zombie: the close back, the parent busy after each hand-over (--busy)',
  },
  {
    pair: ['3e', '3f'],
    budget: 48,
    why: "the reaper: grimReaper counts the living from fork(); --busy goes; 3c's sendConnection imported, not copied",
  },
  {
    pair: ['3f', '3g'],
    budget: 54,
    why: "the limit: a queue of waiting connections, forkChildren, handOver, --max-children; the reaper's quiet, for 3h's --quiet",
  },
  {
    pair: ['3g', '3h'],
    budget: 118,
    why: "the gateway: the child runs Part 2's handleOneRequest and the application; 3g's parent (serveForever, the limits) imported, not copied",
  },
  {
    pair: ['3h', '3i'],
    budget: 251,
    why: 'the pool: another program (the arbiter and its workers), no fork per connection',
  },
];

/** The most lines a step file may have, banner and comments included: 3a-3h, and 3i (issue 20). */
export const PART3_MAX_LINES = { step: 160, pool: 260 };

/** The code lines the diff from step `a` to step `b` adds or removes, the banners left out. */
export function changedCodeLines(root: string, a: string, b: string): number {
  const code = (step: string) => withoutBanner(readText(join(root, stepFile(step))));
  const patch = createTwoFilesPatch(a, b, code(a), code(b), undefined, undefined, { context: 0 });
  return patch.split('\n').filter((line) => /^[+-](?![+-]{2} )/.test(line)).length;
}

/** `text` without its first block comment (a step's banner). */
export function withoutBanner(text: string): string {
  const end = text.startsWith('/**') ? text.indexOf('*/') : -1;
  return end === -1 ? text : text.slice(end + 2);
}
