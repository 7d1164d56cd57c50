import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../part1/webserver1.ts';
import { app as hello } from '../part2/apps/hello.ts';
import { byteDiff, compareTwo, compareWithTranscripts, maskHeaders, NothingListening, parseTarget } from './lib/compare.ts';
import { startGateway } from './lib/servers.ts';
import { loadTranscripts } from './lib/transcripts.ts';
import type { Target } from './lib/wire.ts';

const part1 = loadTranscripts(fileURLToPath(new URL('../part1/transcripts', import.meta.url)));
const part2hello = loadTranscripts(fileURLToPath(new URL('../part2/transcripts', import.meta.url))).filter((t) => t.app === 'hello');
const options = { mask: [], timeoutMs: 2000 };

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A raw server that answers every connection with `respond(socket)`; closed after the test. */
async function rawServer(respond: (socket: import('node:net').Socket) => void): Promise<Target> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {}); // the compare client may hang up first
    socket.once('data', () => respond(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => sockets.add(socket));
  cleanup.push(() => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

describe('compare against the golden transcripts', () => {
  it('passes against our own Part 1 server', async () => {
    const server = await listen(0, '127.0.0.1', () => {});
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const outcomes = await compareWithTranscripts({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }, part1, options);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes.length).toBe(part1.length);
  });

  it("fails with a readable diff against the original's bare-LF response", async () => {
    const target = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\n\nHello, World!\n'));
    const [first] = await compareWithTranscripts(target, part1.slice(0, 1), options);
    expect(first!.ok).toBe(false);
    expect(first!.details[0]).toBe(
      `first difference at byte 15 (golden telnet.response has 98 bytes, 127.0.0.1:${target.port} 31); CR and LF shown as \\r \\n`,
    );
    expect(first!.details).toContain('- HTTP/1.1 200 OK\\r\\n');
    expect(first!.details).toContain('+ HTTP/1.1 200 OK\\n');
  });

  it('reports a server that never closes the connection', async () => {
    const target = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\nHello, World!\n'));
    const [first] = await compareWithTranscripts(target, part1.slice(0, 1), { mask: [], timeoutMs: 100 });
    expect(first!.ok).toBe(false);
    expect(first!.details).toEqual([
      'no end of stream after 100 ms of silence: the server kept the connection open (these transcripts expect it to close after the response, as Connection: close says)',
    ]);
  });

  it('says in one line when nothing listens', async () => {
    const target = await rawServer(() => {});
    await cleanup.pop()!(); // close it again: now the port is free
    await expect(compareWithTranscripts(target, part1, options)).rejects.toThrowError(
      new NothingListening(`Nothing is listening on 127.0.0.1:${target.port} (connection refused): start the server first, or check --target`),
    );
  });

  it('--mask date,server ignores a server with its own clock and name', async () => {
    const gateway = await startGateway(hello, { clock: () => new Date('2030-01-02T03:04:05Z') });
    cleanup.push(() => gateway.close());
    const strict = await compareWithTranscripts(gateway.target, part2hello, options);
    expect(strict.every((o) => !o.ok)).toBe(true); // every response carries the other Date
    const masked = await compareWithTranscripts(gateway.target, part2hello, { ...options, mask: ['date', 'server'] });
    expect(masked.filter((o) => !o.ok)).toEqual([]);
  });
});

describe('compare two servers', () => {
  it('finds no difference between two runs of the same server, and a difference against another', async () => {
    const a = await startGateway(hello);
    const b = await startGateway(hello);
    cleanup.push(() => a.close(), () => b.close());
    expect((await compareTwo(a.target, b.target, part2hello, options)).filter((o) => !o.ok)).toEqual([]);
    const server = await listen(0, '127.0.0.1', () => {});
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const other = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
    const [first] = await compareTwo(a.target, other, part2hello.slice(0, 1), options);
    expect(first!.ok).toBe(false);
    expect(first!.details[0]).toMatch(/^first difference at byte 43 /); // after Content-Type: Part 1 says Content-Length, Part 2 Date;
  });
});

describe('helpers', () => {
  it('masks header values in the head only, CRLF or LF', () => {
    const message = Buffer.from('HTTP/1.1 200 OK\nDate: today\nServer: x\n\nDate: in the body\n');
    expect(maskHeaders(message, ['date', 'server']).toString()).toBe('HTTP/1.1 200 OK\nDate: *\nServer: *\n\nDate: in the body\n');
  });
  it('shows no diff for equal bytes', () => {
    expect(byteDiff(Buffer.from('a\r\n'), Buffer.from('a\r\n'))).toEqual([]);
  });
  it('parses HOST:PORT and refuses anything else', () => {
    expect(parseTarget('localhost:8888')).toEqual({ host: 'localhost', port: 8888 });
    expect(parseTarget('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseTarget('localhost')).toThrowError("'localhost' is not HOST:PORT, e.g. localhost:8888");
  });
});

describe('npm run compare', () => {
  it('exits 0 when every transcript matches and 1 when one differs', async () => {
    const server = await listen(0, '127.0.0.1', () => {});
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const good = await run(['--part', '1', '--target', `127.0.0.1:${(server.address() as AddressInfo).port}`]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(`PASS  telnet`);
    expect(good.stdout.trim().split('\n').at(-1)).toBe(`${part1.length} matched, 0 differed`);
    const bad = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\n\nHello, World!\n'));
    const failed = await run(['--part', '1', '--target', `127.0.0.1:${bad.port}`]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAIL  telnet');
  });
});

async function run(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./compare.ts', import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout };
}
