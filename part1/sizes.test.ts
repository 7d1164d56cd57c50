/**
 * Part 1 reads in one sitting (issue 20): the first step is the original's
 * shape, at most 80 lines with its banner and comments; the lesson is at most
 * 3,000 words of prose (code blocks aside); and step 1b differs from step 1 by
 * the lesson's change only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it as vitestIt } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { REPO_ROOT } from '../scripts/lib/repo.ts';
import { stepDiff } from '../scripts/lib/steps.ts';
import { proseWords } from '../scripts/testing/prose.ts';

/** The first server a student reads: webserver1.py is 22 lines; ours adds types and comments. */
const MAX_STEP1_LINES = 80;
/** About twenty minutes of reading: the original's article is about 1,500 words. */
const MAX_LESSON_WORDS = 3_000;
/**
 * Code lines step 1b may add or remove outside its banner: the imports from connection.ts, the
 * idleTimeoutMs parameter of listen and handleOneRequest, the idle timer, the head limit, the
 * lingering close, and the program's name. A change the lesson does not teach goes over it.
 */
const MAX_1B_CHANGED_LINES = 35;

// An exercise grows step 1b on purpose: its sizes step aside for it, naming it (exercised.ts).
const it = exercisedIt(vitestIt, ['part1/']);

function read(file: string): string {
  return readFileSync(join(REPO_ROOT, file), 'utf8');
}

describe('the size of Part 1', () => {
  vitestIt.each([
    ['one two three', 3],
    ['one\n```ts\nconst x = 1;\n```\ntwo', 2],
    ['a [linked text](https://example.org/a b) b', 4],
    ['````md\n```\nstill code\n````\nafter', 1],
  ])('counts the prose words of %j as %i', (markdown, words) => {
    expect(proseWords(markdown)).toBe(words);
  });

  it(`webserver1.ts is at most ${MAX_STEP1_LINES} lines`, () => {
    expect(read('part1/webserver1.ts').trimEnd().split('\n').length).toBeLessThanOrEqual(
      MAX_STEP1_LINES,
    );
  });

  it(`the lesson (part1/README.md) is at most ${MAX_LESSON_WORDS} words of prose`, () => {
    expect(proseWords(read('part1/README.md'))).toBeLessThanOrEqual(MAX_LESSON_WORDS);
  });

  it(`step 1b changes at most ${MAX_1B_CHANGED_LINES} code lines of step 1`, () => {
    const hunks = stepDiff(REPO_ROOT, '1', '1b', 0).split('\n').slice(2);
    const bannerEnd = read('part1/webserver1.ts').split('\n').indexOf(' */') + 1;
    let line = 0; // line of step 1 the hunk is at
    let changed = 0;
    for (const text of hunks) {
      const at = /^@@ -(\d+)/.exec(text);
      if (at) line = Number(at[1]);
      else if (line > bannerEnd && /^[-+]/.test(text)) changed += 1;
    }
    expect(changed).toBeGreaterThan(0); // the steps differ: this test can fail
    expect(changed).toBeLessThanOrEqual(MAX_1B_CHANGED_LINES);
  });
});
