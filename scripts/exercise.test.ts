/**
 * Every exercise's check is honest: on a temporary copy of the course as it
 * is, it fails (the course does not solve its exercises), and with its
 * reference solution applied it passes. The proofs run concurrently, each on
 * its own copy; a check that cannot fail, or a solution that does not pass
 * or no longer applies after a change elsewhere, fails here.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { proveExercise } from './exercises/prove.ts';
import { EXERCISES } from './exercises/registry.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe.concurrent('every exercise: fails as shipped, passes with its reference solution', () => {
  test('there are at least five per part', () => {
    for (const part of ['1', '2', '3']) {
      expect(EXERCISES.filter((exercise) => exercise.id.startsWith(`${part}.`)).length).toBeGreaterThanOrEqual(5);
    }
  });
  for (const exercise of EXERCISES) {
    const elsewhere = exercise.platforms !== undefined && !exercise.platforms.includes(process.platform);
    const name = `${exercise.id} ${exercise.title}${elsewhere ? ` (needs ${exercise.platforms!.join(' or ')}: /proc)` : ''}`;
    test.skipIf(elsewhere)(name, async () => {
      const proof = await proveExercise(ROOT, exercise);
      expect(proof.honest, [proof.summary, ...proof.details].join('\n')).toBe(true);
    });
  }
});
