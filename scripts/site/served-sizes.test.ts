import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { staticFiles } from '../../part2/apps/static.ts';
import { startGateway } from '../lib/servers.ts';
import { exchange, visible } from '../lib/wire.ts';

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

/**
 * The refusal 05-wrap-up.md shows for `curl -si --path-as-is` is what `npm start`'s static app
 * sends on a persistent connection (3i serves it as webserver2b.ts does), its Date aside.
 */
it("the --path-as-is refusal a lesson shows is the server's, byte for byte but the Date", async () => {
  const lesson = readFileSync(join(root, 'part3/lessons/05-wrap-up.md'), 'utf8');
  const shown = /^\$ curl -si --path-as-is http:\/\/localhost:8000(\S+)\n((?:(?!\$ ).*\n)*)/m.exec(lesson);
  expect(shown, 'the --path-as-is block of 05-wrap-up.md').not.toBeNull();
  const site = mkdtempSync(join(tmpdir(), 'served-'));
  const gateway = await startGateway(staticFiles(site), {}, true);
  try {
    // curl's request, then a second one on the connection that asks to close it, so that the
    // exchange ends without a timeout: the first answer is curl's.
    const request = (close: string) => `GET ${shown![1]} HTTP/1.1\r\nHost: localhost:8000\r\n${close}\r\n`;
    const { bytes } = await exchange(gateway.target, [Buffer.from(request('') + request('Connection: close\r\n'), 'latin1')]);
    const dateless = (text: string) => text.replace(/^Date: .*$/m, 'Date: *');
    const both = bytes.toString('latin1').replace(/\r\n/g, '\n');
    const answer = both.slice(0, both.indexOf('HTTP/1.1 ', 1));
    expect(both.slice(answer.length), 'the second answer').toMatch(/^HTTP\/1\.1 400 Bad Request\n/);
    expect(visible(dateless(answer))).toBe(visible(dateless(shown![2]!)));
  } finally {
    await gateway.close();
    rmSync(site, { recursive: true, force: true });
  }
});
