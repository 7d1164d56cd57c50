/** Every exercise of the course, in order: Part 1's, Part 2's, Part 3's. */
import { exercises as part1 } from '../../part1/exercises/exercises.ts';
import { exercises as part2 } from '../../part2/exercises/exercises.ts';
import { exercises as part3 } from '../../part3/exercises/exercises.ts';
import type { Exercise } from './exercise.ts';

export const EXERCISES: Exercise[] = [...part1, ...part2, ...part3];

/** The exercise called `id` (`1.1`), or undefined. */
export function findExercise(id: string): Exercise | undefined {
  return EXERCISES.find((exercise) => exercise.id === id);
}
