/**
 * Part 2's main path reads in under an hour (issue 21): its lesson, part2/README.md, is at most
 * 4,000 words of prose (code blocks aside, counted as Part 1's, scripts/testing/prose.ts), its
 * file table included. What a student reads for the whole story lives on the reference pages
 * in part2/lessons/, linked from where it applies.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { proseWords } from '../scripts/testing/prose.ts';

/** Under an hour of reading, diagrams and code included: about 4,000 words of prose. */
const MAX_LESSON_WORDS = 4_000;

describe('the size of Part 2', () => {
  it(`the lesson (part2/README.md) is at most ${MAX_LESSON_WORDS} words of prose`, () => {
    const words = proseWords(readFileSync(new URL('README.md', import.meta.url), 'utf8'));
    expect(words).toBeGreaterThan(0); // the lesson was read, not an empty file
    expect(words).toBeLessThanOrEqual(MAX_LESSON_WORDS);
  });
});
