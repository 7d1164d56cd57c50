import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequestPath, createStaticServer } from './static-server.ts';
import { exchange } from './wire.ts';

// A site folder with a page, a stylesheet, a picture, a 404 page, and a
// secret next to it (not inside) that no request may reach.
let base = '';
let server: Server;
let port = 0;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'static-server-'));
  const site = join(base, 'site');
  mkdirSync(join(site, 'part1'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<h1>Home</h1>');
  writeFileSync(join(site, 'part1', 'index.html'), '<h1>Part 1</h1>');
  writeFileSync(join(site, 'site.css'), 'body{}');
  writeFileSync(join(site, 'x.svg'), '<svg/>');
  writeFileSync(join(site, '404.html'), '<h1>Not found</h1>');
  writeFileSync(join(base, 'secret.txt'), 'secret');
  symlinkSync(join(base, 'secret.txt'), join(site, 'link.txt'));
  server = createStaticServer(site);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(base, { recursive: true, force: true });
});

/** Sends a raw request head (a client library would clean up `..` before sending) and returns the response text. */
async function raw(head: string): Promise<string> {
  const { bytes } = await exchange({ host: '127.0.0.1', port }, [Buffer.from(head, 'latin1')]);
  return bytes.toString('latin1');
}

function get(target: string, method = 'GET'): Promise<string> {
  return raw(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
}

describe('static server', () => {
  it('GET / serves index.html as text/html', async () => {
    const response = await get('/');
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toContain('Content-Type: text/html; charset=utf-8\r\n');
    expect(response.endsWith('\r\n\r\n<h1>Home</h1>')).toBe(true);
  });

  it('names css and svg by their type', async () => {
    expect(await get('/site.css')).toContain('Content-Type: text/css; charset=utf-8\r\n');
    expect(await get('/x.svg')).toContain('Content-Type: image/svg+xml\r\n');
  });

  it('redirects a folder to its slash, then serves its index.html', async () => {
    const response = await get('/part1');
    expect(response).toMatch(/^HTTP\/1\.1 301 Moved Permanently\r\n/);
    expect(response).toContain('Location: /part1/\r\n');
    expect(await get('/part1/')).toContain('<h1>Part 1</h1>');
  });

  it('HEAD sends the head without the body', async () => {
    const response = await get('/', 'HEAD');
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toContain('Content-Length: 13\r\n');
    expect(response.endsWith('\r\n\r\n')).toBe(true);
  });

  it('answers other methods with 405 and Allow', async () => {
    const response = await get('/', 'POST');
    expect(response).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(response).toContain('Allow: GET, HEAD\r\n');
  });

  it('serves the 404 page for a missing file', async () => {
    const response = await get('/nope.html');
    expect(response).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(response).toContain('<h1>Not found</h1>');
  });

  it.each([
    ['/../secret.txt'],
    ['/part1/../../secret.txt'],
    ['/%2e%2e/secret.txt'],
    ['/%2E%2E/secret.txt'],
    ['/part1/%2e%2e%2f%2e%2e%2fsecret.txt'],
    ['/..%5csecret.txt'],
    ['/..\\secret.txt'],
    ['/index.html%00.css'],
  ])('refuses the path escape %s with 400, never the secret', async (target) => {
    const response = await get(target);
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response).not.toContain('secret\n');
    expect(response.endsWith('secret')).toBe(false);
  });

  it('does not follow a symlink out of the folder', async () => {
    const response = await get('/link.txt');
    expect(response).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(response.endsWith('secret')).toBe(false);
  });
});

describe('checkRequestPath', () => {
  it('maps a folder path to its index.html and drops the query', () => {
    expect(checkRequestPath('/part1/?x=1')).toEqual({ ok: true, relative: 'part1/index.html' });
    expect(checkRequestPath('/src/part1/webserver1.ts.html#L3')).toEqual({ ok: true, relative: 'src/part1/webserver1.ts.html' });
  });
  it('refuses a target that is not a path', () => {
    expect(checkRequestPath('http://evil.example/').ok).toBe(false);
    expect(checkRequestPath('//evil.example/x').ok).toBe(false);
    expect(checkRequestPath('/%zz').ok).toBe(false);
  });
});
