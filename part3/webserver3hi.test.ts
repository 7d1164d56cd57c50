import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it as vitestIt } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { where } from '../scripts/testing/platform.ts';
import { openClient, startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { childrenOf, listenBacklog, processInfo, until } from '../scripts/lib/processes.ts';
import { exchange, type Target } from '../scripts/lib/wire.ts';
import { REQUEST_QUEUE_SIZE } from './webserver3i.ts';

// These tests hold the course's bytes: a failure an exercise the student started explains is
// skipped, naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part2/', 'part3/']);

const GET = (path: string) =>
  Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 'latin1');
const WAIT_APP = 'part3/fixtures/waitapp.ts:app';
/** 3i keeps a connection open after its response (Part 2b's persistent connections) unless told. */
const GET_CLOSE = (path: string) =>
  Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1');

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Resolves with the error code of a connection attempt to `target`, or 'connected'. */
function tryConnect(target: Target): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(target);
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    // A refused connection is the answer we are looking for, not a failure.
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

where('POSIX signals', 'a process table').describe(
  '3h: the gateway server, a child per connection',
  () => {
    it('runs two requests in the application at the same time, each in its own child', async () => {
      server = await startStep('3h', [], { app: WAIT_APP });
      const a = openClient(server.target, GET('/a'));
      const b = openClient(server.target, GET('/b'));
      const arrived = await server.lines(/^arrived (\d+)$/, 2, 'stderr');
      const pids = arrived.map((match) => Number(match[1]));
      expect(new Set(pids).size).toBe(2); // two processes
      expect(pids.every((pid) => processInfo(pid)?.ppid === server!.pid)).toBe(true); // children of the server
      expect(a.received().length + b.received().length).toBe(0); // both inside the app, neither answered
      for (const pid of pids) process.kill(pid, 'SIGUSR2');
      await Promise.all([a.closed, b.closed]);
      for (const client of [a, b])
        expect(client.received().toString('latin1')).toMatch(
          /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nanswered by \d+\n$/,
        );
      await until(() => childrenOf(server!.pid).length === 0, 'no child is left');
    });

    it('says wsgi.multiprocess = true in environ', async () => {
      server = await startStep('3h', [], { app: 'environ' });
      const result = await exchange(server.target, [GET('/')]);
      expect(result.bytes.toString('utf8')).toContain('\nwsgi.multiprocess = true\n');
    });

    it('survives a child killed in the middle of the application, and serves the next request', async () => {
      server = await startStep('3h', [], { app: WAIT_APP });
      const victim = openClient(server.target, GET('/victim'));
      const [, pid] = await server.line(/^arrived (\d+)$/, 'stderr');
      process.kill(Number(pid), 'SIGKILL');
      await server.line(new RegExp(`^Child ${pid} terminated with signal SIGKILL`), 'stderr');
      await victim.closed;
      expect(victim.received().length).toBe(0);
      const next = openClient(server.target, GET('/next'));
      const [, nextPid] = (await server.lines(/^arrived (\d+)$/, 2, 'stderr'))[1]!;
      process.kill(Number(nextPid), 'SIGUSR2');
      await next.closed;
      expect(next.received().toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    });

    // --quiet is for load tests: a burst of 1,024 would print 1,024 of the reaper's lines.
    for (const row of [
      { args: [], reaped: 'on stdout' },
      { args: ['--quiet'], reaped: 'silent' },
    ])
      it(`${row.args.join(' ') || 'no flags'}: a child that exits 0 is reaped ${row.reaped}, a killed one on stderr`, async () => {
        server = await startStep('3h', row.args, { app: WAIT_APP });
        const served = openClient(server.target, GET('/served'));
        const [, pid] = await server.line(/^arrived (\d+)$/, 'stderr');
        process.kill(Number(pid), 'SIGUSR2');
        await served.closed;
        await until(() => childrenOf(server!.pid).length === 0, 'the served child is reaped');
        const victim = openClient(server.target, GET('/victim'));
        const [, victimPid] = (await server.lines(/^arrived (\d+)$/, 2, 'stderr'))[1]!;
        process.kill(Number(victimPid), 'SIGKILL');
        await server.line(
          new RegExp(`^Child ${victimPid} terminated with signal SIGKILL`),
          'stderr',
        );
        await victim.closed;
        const reaped = server.stdout.filter((line) => line.startsWith(`Child ${pid} terminated`));
        expect(reaped).toEqual(
          row.args.length ? [] : [`Child ${pid} terminated with status 0 (0 alive, 0 waiting)`],
        );
      });
  },
);

where('POSIX signals').describe('3i: a pre-forked pool', () => {
  it('replaces a worker that dies, and goes on serving', async () => {
    server = await startStep('3i', ['--workers', '2'], { app: 'hello' });
    const started = await server.lines(/^Worker (\d+) is accepting connections$/, 2);
    const [victim, survivor] = started.map((match) => Number(match[1]));
    process.kill(victim!, 'SIGKILL');
    await server.line(
      new RegExp(`^Worker ${victim} terminated with signal SIGKILL\\b.*; starting another`),
      'stderr',
    );
    const [, replacement] = (await server.lines(/^Worker (\d+) is accepting connections$/, 3))[2]!;
    expect(new Set(childrenOf(server.pid).map((info) => info.pid))).toEqual(
      new Set([survivor, Number(replacement)]),
    );
    for (let i = 0; i < 4; i++)
      expect(
        (await exchange(server.target, [GET_CLOSE('/hello')])).bytes.toString('latin1'),
      ).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('on SIGTERM stops accepting, finishes the request under way, and exits 0', async () => {
    server = await startStep('3i', ['--workers', '1'], { app: WAIT_APP });
    const inFlight = openClient(server.target, GET_CLOSE('/slow'));
    const [, worker] = await server.line(/^arrived (\d+)$/, 'stderr');
    const exited = once(server.process, 'exit');
    process.kill(server.pid, 'SIGTERM');
    await server.line(/^SIGTERM: draining 1 workers/);
    // No new connections: the listening socket closes once the worker has closed its server.
    const deadline = Date.now() + 10_000;
    let outcome = await tryConnect(server.target);
    while (outcome !== 'ECONNREFUSED' && Date.now() < deadline) {
      await sleep(50);
      outcome = await tryConnect(server.target);
    }
    expect(outcome).toBe('ECONNREFUSED');
    expect(inFlight.received().length).toBe(0); // still inside the application
    process.kill(Number(worker), 'SIGUSR2');
    await inFlight.closed;
    expect(inFlight.received().toString('latin1')).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[^]*answered by \d+\n$/,
    );
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('when the primary is killed (kill -9), the workers exit too and the port is free', async () => {
    server = await startStep('3i', ['--workers', '2'], { app: 'hello' });
    const workers = (await server.lines(/^Worker (\d+) is accepting connections$/, 2)).map(
      (match) => Number(match[1]),
    );
    // Every child of the primary, not only the two that said so: under load a worker may be
    // starting (or replacing another) at the moment of the kill, holding the socket too.
    const children = [...new Set([...workers, ...childrenOf(server.pid).map((info) => info.pid)])];
    process.kill(server.pid, 'SIGKILL');
    // An orphan is reparented and reaped by init: gone, or at worst a zombie that holds no socket.
    const gone = (pid: number) => processInfo(pid) === undefined || processInfo(pid)!.state === 'Z';
    const primary = server.pid;
    await until(
      () => [primary, ...children].every(gone),
      'the primary and every worker have exited',
    );
    // The socket can outlive the processes by a moment (seen once on a busy machine: ECONNRESET,
    // a connection queued, then reset as the socket closed); within 2 s the port must refuse.
    const deadline = Date.now() + 2_000;
    let outcome = await tryConnect(server.target);
    while (outcome !== 'ECONNREFUSED' && Date.now() < deadline) {
      await sleep(50);
      outcome = await tryConnect(server.target);
    }
    expect(outcome).toBe('ECONNREFUSED');
  });
});

where('listen backlogs').describe('3i: the listen backlog', () => {
  it('is REQUEST_QUEUE_SIZE with every worker accepting, and after a worker is replaced', async () => {
    // Each worker's listen(2) on the shared socket sets the backlog again: Node's default is 511.
    // Linux caps it at net.core.somaxconn; with a cap of 511 or less this test could not tell.
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const expected = Math.min(REQUEST_QUEUE_SIZE, somaxconn);
    expect(expected, `net.core.somaxconn is ${somaxconn}: raise it above 511`).toBeGreaterThan(511);
    server = await startStep('3i', ['--workers', '2'], { app: 'hello' });
    const [victim] = (await server.lines(/^Worker (\d+) is accepting connections$/, 2)).map(
      (match) => Number(match[1]),
    );
    expect(listenBacklog(server.target.port)).toBe(expected);
    process.kill(victim!, 'SIGKILL');
    await server.lines(/^Worker (\d+) is accepting connections$/, 3);
    expect(listenBacklog(server.target.port)).toBe(expected);
  });
});
