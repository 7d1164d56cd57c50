import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A lesson that shows the head of a committed file served by `npm start`
 * (`curl -sI http://localhost:8000/files/PATH`) shows its Content-Length: the
 * file's size. The drift check compares code blocks with their source, not
 * terminal output, so this keeps those figures true when the file changes.
 */
it('the Content-Length a lesson shows for a served file is that file\'s size, as is its `wc -c`', () => {
  const lesson = readFileSync(join(root, 'part3/lessons/05-wrap-up.md'), 'utf8');
  const heads = [...lesson.matchAll(/^\$ curl -sI http:\/\/localhost:8000\/files\/(\S+)\n(?:(?!\$ ).*\n)*?Content-Length: (\d+)$/gm)];
  const counts = [...lesson.matchAll(/^\$ wc -c < (\S+)\n(\d+)$/gm)];
  expect(heads.length, 'the HEAD block of 05-wrap-up.md').toBeGreaterThan(0);
  expect(counts.length, 'its wc -c line').toBeGreaterThan(0);
  for (const [, path, length] of [...heads, ...counts]) {
    expect(Number(length), `${path} in 05-wrap-up.md`).toBe(statSync(join(root, path!)).size);
  }
});
