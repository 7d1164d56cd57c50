import { describe, expect, it } from 'vitest';
import { median } from './median.ts';

describe('median', () => {
  for (const [values, expected] of [
    [[7], 7],
    [[3, 1, 2], 2],
    [[40, 10, 30, 20], 25],
    [[5, 5, 100], 5],
    [[], NaN],
  ] as Array<[number[], number]>) {
    it(`of [${values.join(', ')}] is ${expected}`, () => expect(median(values)).toBe(expected));
  }

  it('leaves its argument unsorted', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
