import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../scripts/lib/servers.ts';
import { exchange } from '../../scripts/lib/wire.ts';
import { missing, where } from '../../scripts/testing/platform.ts';
import { checkPath, staticFiles } from './static.ts';

// A site folder with pages, a big file, a 404 page, and a secret beside it (not inside) that no
// request may reach.
let base = '';
let gateway: RunningGateway;
const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'x');

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'static-app-'));
  const site = join(base, 'site');
  mkdirSync(join(site, 'part1'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<h1>Home</h1><footer><!-- served-by --></footer>');
  writeFileSync(join(site, 'part1', 'index.html'), '<h1>Part 1</h1>');
  writeFileSync(join(site, 'site.css'), 'body{}');
  writeFileSync(join(site, 'caf\u00e9.txt'), 'accent');
  writeFileSync(join(site, 'big.bin'), big);
  writeFileSync(join(site, '404.html'), '<h1>Not found</h1>');
  writeFileSync(join(base, 'secret.txt'), 'secret');
  if (!missing('symlinks')) symlinkSync(join(base, 'secret.txt'), join(site, 'link.txt'));
  gateway = await startGateway(staticFiles(site, { servedBy: () => 'Served by <test> server' }));
});

afterAll(async () => {
  await gateway.close();
  rmSync(base, { recursive: true, force: true });
});

async function request(head: string): Promise<{ status: string; headers: string; body: Buffer }> {
  const { bytes } = await exchange(gateway.target, [
    Buffer.from(`${head}\r\nHost: localhost\r\n\r\n`, 'latin1'),
  ]);
  const end = bytes.indexOf('\r\n\r\n');
  const headText = bytes.subarray(0, end).toString('latin1');
  return { status: headText.split('\r\n')[0]!, headers: headText, body: bytes.subarray(end + 4) };
}

describe('the static-file application', () => {
  it('serves a page with its type and length, and fills in the footer', async () => {
    const { status, headers, body } = await request('GET / HTTP/1.1');
    expect(status).toBe('HTTP/1.1 200 OK');
    expect(headers).toContain('\r\nContent-Type: text/html; charset=utf-8\r\n');
    expect(body.toString()).toBe('<h1>Home</h1><footer>Served by &lt;test&gt; server</footer>');
    expect(headers).toContain(`\r\nContent-Length: ${body.length}\r\n`);
  });

  it('HEAD gets the same head and no body', async () => {
    const { status, headers, body } = await request('HEAD /site.css HTTP/1.1');
    expect(status).toBe('HTTP/1.1 200 OK');
    expect(headers).toContain(
      '\r\nContent-Type: text/css; charset=utf-8\r\nCache-Control: ' +
        'no-cache\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 6\r\n',
    );
    expect(body.length).toBe(0);
  });

  it('streams a large file whole, in chunks', async () => {
    const { status, body } = await request('GET /big.bin HTTP/1.1');
    expect(status).toBe('HTTP/1.1 200 OK');
    expect(body.equals(big)).toBe(true);
  });

  it('serves a UTF-8 file name given percent-encoded', async () => {
    expect((await request('GET /caf%C3%A9.txt HTTP/1.1')).body.toString()).toBe('accent');
  });

  it('redirects a folder to its trailing slash', async () => {
    const { status, headers } = await request('GET /part1 HTTP/1.1');
    expect(status).toBe('HTTP/1.1 301 Moved Permanently');
    expect(headers).toContain('\r\nLocation: /part1/\r\n');
  });

  it('answers a missing file with 404 and the 404 page', async () => {
    const { status, body } = await request('GET /nope.html HTTP/1.1');
    expect(status).toBe('HTTP/1.1 404 Not Found');
    expect(body.toString()).toBe('<h1>Not found</h1>');
  });

  it('refuses other methods with 405 and Allow', async () => {
    const { status, headers } = await request('POST / HTTP/1.1');
    expect(status).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(headers).toContain('\r\nAllow: GET, HEAD\r\n');
  });

  const escapes: Array<[string, string]> = [
    ['GET /../secret.txt HTTP/1.1', 'HTTP/1.1 400 Bad Request'],
    ['GET /%2e%2e/secret.txt HTTP/1.1', 'HTTP/1.1 400 Bad Request'],
    ['GET /part1/%2E%2E/%2E%2E/secret.txt HTTP/1.1', 'HTTP/1.1 400 Bad Request'],
    ['GET /..%5csecret.txt HTTP/1.1', 'HTTP/1.1 400 Bad Request'],
    ['GET /%5c..%5csecret.txt HTTP/1.1', 'HTTP/1.1 400 Bad Request'],
    ['GET /index.html%00.css HTTP/1.1', 'HTTP/1.1 400 Bad Request'],
    ['GET /link.txt HTTP/1.1', 'HTTP/1.1 404 Not Found'], // a symlink that leads out of the folder
    ['GET http://localhost/../secret.txt HTTP/1.1', 'HTTP/1.1 400 Bad Request'],
  ];
  for (const [line, expected] of escapes) {
    where(...(line.includes('/link.txt') ? (['symlinks'] as const) : [])).it(
      `never leaves the folder: ${line} -> ${expected.slice(9)}`,
      async () => {
        const { status, body } = await request(line);
        expect(status).toBe(expected);
        expect(body.toString()).not.toContain('secret');
      },
    );
  }

  it('checks paths without touching the file system', () => {
    expect(checkPath('/')).toEqual({ ok: true, relative: 'index.html' });
    expect(checkPath('/part1/')).toEqual({ ok: true, relative: 'part1/index.html' });
    expect(checkPath('/a/./b')).toEqual({ ok: false, reason: 'a dot segment in the path' });
  });
});
