import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import { listen } from '../part1/webserver1b.ts';
import { app as hello, sized } from '../part2/apps/hello.ts';
import { byteDiff, compareTwo, compareWithTranscripts, describeEarlyClose, foldRepeats, maskHeaders, NothingListening, parseTarget, selectTranscripts } from './lib/compare.ts';
import { startGateway } from './lib/servers.ts';
import { runNode } from './lib/running-steps.ts';
import { loadTranscripts } from './lib/transcripts.ts';
import type { Target } from './lib/wire.ts';
import { exercisedIt } from './testing/exercised.ts';

// These tests run the course's own servers: a failure a started exercise explains (it changed
// that server) is skipped, naming it (scripts/testing/exercised.ts); on a clean tree every
// failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const part1 = loadTranscripts(fileURLToPath(new URL('../part1/transcripts', import.meta.url)));
const part2 = loadTranscripts(fileURLToPath(new URL('../part2/transcripts', import.meta.url)));
const part2hello = part2.filter((t) => t.app === 'hello');
const persistent = loadTranscripts(fileURLToPath(new URL('../part2/transcripts/persistent', import.meta.url)));
const part3 = loadTranscripts(fileURLToPath(new URL('../part3/transcripts', import.meta.url)));
const HELLO = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\nHello, World!\n';
const options = { mask: [], timeoutMs: 2000 };
/** One transcript of Part 1, by name. */
const only = (name: string) => part1.filter((t) => t.name === name);

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

describe('compare --part 2b: several exchanges on one connection', () => {
  const sizedOnes = persistent.filter((t) => t.app === 'hello:sized');

  it('passes against webserver2b.ts', async () => {
    const gateway = await startGateway(sized, {}, true);
    cleanup.push(() => gateway.close());
    const outcomes = await compareWithTranscripts(gateway.target, sizedOnes, options);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes.length).toBe(4);
  });

  it('says plainly that a server closed where it should have kept the connection', async () => {
    const gateway = await startGateway(sized); // webserver2.ts: one request per connection
    cleanup.push(() => gateway.close());
    const outcomes = await compareWithTranscripts(gateway.target, sizedOnes, options);
    const rule = 'HTTP/1.1 keeps a connection open unless a side says Connection: close (RFC 9112 §9.3)';
    const rule10 =
      'an HTTP/1.0 request keeps a connection open only when it says Connection: keep-alive, as this one does, and the server honours it (RFC 9112 §9.3)';
    expect(outcomes.map((o) => [o.name, o.details[0]])).toEqual([
      ['two-in-a-row', `the server closed the connection after 1 of 2 responses, where it should have kept it open: ${rule}`],
      ['telnet-two', `the server closed the connection after 1 of 2 responses, where it should have kept it open: ${rule}`],
      ['pipeline', `the server closed the connection after 1 of 3 responses, where it should have kept it open: ${rule}`],
      ['http10-keep-alive', `the server closed the connection after 1 of 2 responses, where it should have kept it open: ${rule10}`],
    ]);
  });

  it('gives a reset after the first response the same reason as a FIN: the server closed', () => {
    const two = persistent.find((t) => t.name === 'two-in-a-row')!;
    const first = two.parts[0]!.responseBytes;
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const reason = 'the server closed the connection after 1 of 2 responses, where it should have kept it open';
    for (const ending of [{ ending: 'end' as const }, { ending: 'error' as const, error: reset }]) {
      expect(describeEarlyClose({ bytes: first, connected: true, ...ending }, two)).toMatch(reason);
    }
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describeEarlyClose({ bytes: Buffer.alloc(0), connected: false, ending: 'error', error: refused }, two)).toBeUndefined();
  });

  it('masks the fields of every response on the connection', () => {
    const two = Buffer.from('HTTP/1.1 200 OK\r\nDate: a\r\n\r\nbody\nHTTP/1.1 200 OK\r\nDate: b\r\n\r\nDate: body');
    const masked = 'HTTP/1.1 200 OK\r\nDate: *\r\n\r\nbody\nHTTP/1.1 200 OK\r\nDate: *\r\n\r\nDate: body';
    expect(maskHeaders(two, ['date']).toString()).toBe(masked);
  });
});

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
    const [first] = await compareWithTranscripts(target, only('curl'), options);
    expect(first!.ok).toBe(false);
    expect(first!.details[0]).toBe(
      `first difference at byte 15 (golden hello.response has 98 bytes, 127.0.0.1:${target.port} 31); CR and LF shown as \\r \\n`,
    );
    expect(first!.details).toContain('- HTTP/1.1 200 OK\\r\\n');
    expect(first!.details).toContain('+ HTTP/1.1 200 OK\\n');
  });

  it('fails a server that reads once and answers before the request is complete, though its bytes are right', async () => {
    const target = await rawServer((socket) => socket.end(HELLO)); // answers the first chunk, like one recv(1024)
    const [chars] = await compareWithTranscripts(target, only('telnet-chars'), options);
    expect(chars!.ok).toBe(false);
    // The server answers at once; how many bytes of the request (sent one at a time) went out
    // before its answer came back depends on the machine's load: 1 usually, 2 or 3 when busy.
    expect(chars!.details).toHaveLength(1);
    const early = /^answered after (\d+) of 23 request bytes \("[^"]*"\), before the request was complete$/;
    expect(chars!.details[0]).toMatch(early);
    expect(Number(early.exec(chars!.details[0]!)![1])).toBeLessThan(23);
    const [lines] = await compareWithTranscripts(target, only('telnet'), options);
    expect(lines!.details[0]).toMatch(/^answered after 21 of 23 request bytes \("GET \/hello HTTP\/1\.1\\r\\n"\)/);
    const [whole] = await compareWithTranscripts(target, only('curl'), options);
    expect(whole!.ok).toBe(true); // one write: there is no earlier moment to answer at
  });

  it('reports a server that never closes the connection', async () => {
    const target = await rawServer((socket) => socket.write(HELLO));
    const [first] = await compareWithTranscripts(target, only('curl'), { mask: [], timeoutMs: 100 });
    expect(first!.ok).toBe(false);
    expect(first!.details).toEqual([
      'no end of stream after 100 ms of silence: the server kept the connection open where it should have closed it (the last response of the transcript says Connection: close, RFC 9112 §9.6)',
    ]);
  });

  it('reports a server that never answers', async () => {
    const target = await rawServer(() => {}); // reads the request, says nothing
    const [first] = await compareWithTranscripts(target, only('curl'), { mask: [], timeoutMs: 100 });
    expect(first!.details[0]).toBe('no answer after 100 ms of silence: the server is waiting for more of the request, or is stuck');
  });

  it('times out, and says so, on a server that accepts no more connections (backlog full), instead of hanging', async () => {
    // A Node process that listens with a backlog of 1 and then blocks its event loop, so it never accepts.
    const stuck = spawn(process.execPath, ['-e', `require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () {
      console.log(this.address().port);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
    })`], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.push(async () => void stuck.kill('SIGKILL'));
    const [portText] = (await once(stuck.stdout!, 'data')) as [Buffer];
    const target = { host: '127.0.0.1', port: Number(portText.toString()) };
    const outcomes = await compareWithTranscripts(target, [...only('curl'), ...only('curl'), ...only('curl'), ...only('curl')], { mask: [], timeoutMs: 300 });
    expect(outcomes.map((o) => o.details[0])).toContain(
      "no connection after 300 ms: the server's backlog is full (is it stuck on an earlier connection?)",
    );
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

describe('which transcripts', () => {
  it('replays all of a part without apps, and says nothing', () => {
    expect(selectTranscripts(part1, undefined)).toEqual({ transcripts: part1 });
    expect(() => selectTranscripts(part1, 'hello')).toThrowError('these transcripts need no app: leave out --app');
  });
  it("replays app hello's by default when every transcript has an app (Part 2)", () => {
    const { transcripts, note } = selectTranscripts(part2, undefined);
    expect(transcripts).toEqual(part2hello);
    expect(note).toMatch(/^Replaying the 7 transcripts of app 'hello' \(--app NAME picks another: environ, router, /);
    expect(() => selectTranscripts(part2, 'nope')).toThrowError(/^no transcripts for app 'nope' \(apps: hello, environ, /);
  });
  it("replays those that need no app by default when some do (Part 3's 3a-3g), and only an app's with --app (3h, 3i)", () => {
    const plain = selectTranscripts(part3, undefined);
    expect(plain.transcripts.map((t) => t.name)).toEqual(['curl', 'telnet', 'telnet-chars', 'nc', 'half-close']);
    expect(plain.note).toBe("Replaying the 5 transcripts that need no app (--app NAME replays an app's instead: hello, honoapp, h3app, ittyapp).");
    const hello = selectTranscripts(part3, 'hello');
    expect(hello.transcripts.map((t) => t.name)).toEqual(['hello-app']);
    expect(hello.note).toBe("Replaying the 1 transcript of app 'hello' (--app NAME picks another: honoapp, h3app, ittyapp).");
  });
});

describe('helpers', () => {
  it('prints a repeated byte diff once, then names the transcript it repeats, keeping the lines about each exchange', () => {
    const diff = ['first difference at byte 15 (...)', '- HTTP/1.1 200 OK\\r\\n'];
    expect(foldRepeats([
      { name: 'telnet', ok: false, details: ['answered after 21 of 23 request bytes', ...diff] },
      { name: 'telnet-chars', ok: false, details: ['answered after 1 of 23 request bytes', ...diff] },
      { name: 'nc', ok: true, details: [] },
      { name: 'curl', ok: false, details: [...diff] },
      { name: 'browser', ok: false, details: ['first difference at byte 0 (...)'] },
      { name: 'half-close', ok: false, details: ['no end of stream after 1000 ms'] },
    ])).toEqual([
      { name: 'telnet', ok: false, details: ['answered after 21 of 23 request bytes', ...diff] },
      { name: 'telnet-chars', ok: false, details: ['answered after 1 of 23 request bytes', 'the same difference as telnet'] },
      { name: 'nc', ok: true, details: [] },
      { name: 'curl', ok: false, details: ['the same difference as telnet'] },
      { name: 'browser', ok: false, details: ['first difference at byte 0 (...)'] },
      { name: 'half-close', ok: false, details: ['no end of stream after 1000 ms'] },
    ]);
  });
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
    expect(failed.stdout).toContain('FAIL  telnet\n');
    expect(failed.stdout).toContain('FAIL  nc\n      the same difference as telnet\n');
  });

  it('exits 2 with one line when nothing listens, or on bad usage', async () => {
    const gone = await rawServer(() => {});
    await cleanup.pop()!();
    expect(await run(['--part', '1', '--target', `127.0.0.1:${gone.port}`])).toEqual({ code: 2, stdout: '' });
    expect((await run(['--part', '9', '--target', 'localhost:8888'])).code).toBe(2);
    expect((await run(['--part', '1', '--app', 'hello', '--target', 'localhost:8888'])).code).toBe(2);
  });

  it('stops quietly when its reader goes away (| head), keeping the exit status', async () => {
    const server = await listen(0, '127.0.0.1', () => {});
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The reader is gone before the first line: every write meets EPIPE.
    const { code, stderr } = await runNode(['--import', 'tsx', fileURLToPath(new URL('./compare.ts', import.meta.url)), '--part', '1', '--target', target], { closeStdout: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

async function run(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const { code, stdout } = await runNode(['--import', 'tsx', fileURLToPath(new URL('./compare.ts', import.meta.url)), ...args]);
  return { code, stdout };
}
