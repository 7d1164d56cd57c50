import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it as vitestIt } from 'vitest';
import { budgetFor, timed } from '../scripts/testing/budget.ts';
import { where } from '../scripts/testing/platform.ts';
import { openClient, startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { childrenOf, descriptorCount, processInfo, until } from '../scripts/lib/processes.ts';
import { assertSameBytes, exchange } from '../scripts/lib/wire.ts';
import { RESPONSE } from '../part1/webserver1.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const GET = (path: string) =>
  Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 'latin1');

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

where('a process table', 'file descriptors').describe('3c: a child per connection', () => {
  it('two clients are served at the same time: both in about one --sleep, not two', async () => {
    const SLEEP_MS = 1500;
    server = await startStep('3c', ['--sleep', String(SLEEP_MS / 1000)]);
    const started = performance.now();
    const a = openClient(server.target, GET('/a'));
    const b = openClient(server.target, GET('/b'));
    // Each child sleeps after its response, holding its connection: both
    // responses arrive while both children sleep, before either connection ends.
    const [aFirst, bFirst] = await Promise.all([a.firstByte, b.firstByte]);
    const [aClosed, bClosed] = await Promise.all([a.closed, b.closed]);
    expect(Math.max(aFirst, bFirst)).toBeLessThan(Math.min(aClosed, bClosed));
    expect(Math.max(aClosed, bClosed) - started).toBeGreaterThanOrEqual(SLEEP_MS);
    // One --sleep, not two, once both children had started: a Node start is not what this
    // measures, and on a busy machine it may take longer than a --sleep.
    expect(Math.max(aClosed, bClosed) - Math.max(aFirst, bFirst)).toBeLessThan(2 * SLEEP_MS);
    assertSameBytes(a.received(), RESPONSE, '/a');
    assertSameBytes(b.received(), RESPONSE, '/b');
    // Each child says who it is, as the original's do: two children of one parent.
    const pids = await server.lines(/^Child PID: (\d+)\. Parent PID (\d+)$/, 2);
    expect(new Set(pids.map((match) => match[1])).size).toBe(2);
    expect(pids.map((match) => Number(match[2]))).toEqual([server.pid, server.pid]);
  });

  it("after a burst, the parent's descriptors are back to where they were, and no child is left", async () => {
    server = await startStep('3c', ['--sleep', '0']);
    const pid = server.pid;
    // The first fork opens what libuv keeps for good (the SIGCHLD pipe): warm up, then count.
    const warmUp = await timed(() => exchange(server!.target, [GET('/warm-up')]));
    assertSameBytes(warmUp.result.bytes, RESPONSE);
    await until(() => childrenOf(pid).length === 0, 'the warm-up child has gone');
    const baseline = descriptorCount(pid);
    // Twenty Node starts at once: the warm-up's time, scaled (scripts/testing/budget.ts).
    const idleTimeoutMs = budgetFor(warmUp.ms, 20);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        exchange(server!.target, [GET(`/burst/${i}`)], { idleTimeoutMs }),
      ),
    );
    for (const result of results) assertSameBytes(result.bytes, RESPONSE);
    await until(
      () => childrenOf(pid).length === 0,
      'every child has exited and been reaped (no zombie either)',
      idleTimeoutMs,
    );
    await until(
      () => descriptorCount(pid) === baseline,
      `the parent is back to ${baseline} descriptors (it has ${descriptorCount(pid)})`,
    );
  });

  it('survives a child that dies in the middle of a request, and serves the next one', async () => {
    server = await startStep('3c', ['--sleep', '0']);
    const victim = openClient(server.target, Buffer.from('GET /half', 'latin1')); // the child waits for the rest
    await until(() => childrenOf(server!.pid).length === 1, 'a child has the connection');
    process.kill(childrenOf(server.pid)[0]!.pid, 'SIGKILL');
    await victim.closed; // the kernel closed the dead child's descriptor; the parent had closed its own
    expect(victim.received().length).toBe(0);
    const next = await exchange(server.target, [GET('/next')]);
    assertSameBytes(next.bytes, RESPONSE);
    expect(processInfo(server.pid)?.state).not.toBe('Z');
  });
  it('a child whose parent dies while handing it the connection does not keep the client waiting', async () => {
    server = await startStep('3c', ['--sleep', '0']);
    // One Node start timed first: the child's start-up is what the client waits through below.
    const warmUp = await timed(() => exchange(server!.target, [GET('/warm-up')]));
    assertSameBytes(warmUp.result.bytes, RESPONSE, 'the warm-up');
    await until(() => childrenOf(server!.pid).length === 0, 'the warm-up child has gone');
    const client = openClient(server.target, Buffer.from('GET /half', 'latin1'));
    await until(() => childrenOf(server!.pid).length === 1, 'the child is starting');
    process.kill(server.pid, 'SIGKILL'); // while the child is still loading, as likely as not
    await sleep(300);
    client.socket.write(' HTTP/1.1\r\nHost: x\r\n\r\n');
    // Answered (the child got its connection) or closed (it never did, and
    // exited): either way the client learns it, instead of waiting for ever.
    const outcome = await Promise.race([
      client.closed.then(() => 'closed'),
      sleep(budgetFor(warmUp.ms)).then(() => 'still open'),
    ]);
    expect(outcome).toBe('closed');
    if (client.received().length > 0) assertSameBytes(client.received(), RESPONSE);
  });
});

where('a process table', 'file descriptors').describe(
  '3d: the parent keeps its copy of every connection',
  () => {
    it('its descriptors grow by one per connection, and stay after the children have gone', async () => {
      server = await startStep('3d');
      const pid = server.pid;
      const warmUp = openClient(server.target, GET('/warm-up'));
      await until(
        () => warmUp.received().length === RESPONSE.length,
        'the warm-up response arrived',
      );
      await until(() => childrenOf(pid).length === 0, 'the warm-up child has gone');
      const baseline = descriptorCount(pid);
      const clients = Array.from({ length: 5 }, (_, i) =>
        openClient(server!.target, GET(`/kept/${i}`)),
      );
      await until(
        () => clients.every((client) => client.received().length === RESPONSE.length),
        'every response arrived',
      );
      await until(() => childrenOf(pid).length === 0, 'every child has exited');
      expect(descriptorCount(pid)).toBeGreaterThanOrEqual(baseline + 5);
      await server.line(/^6$/); // the parent counts what it holds, as the original prints len(clients)
      for (const client of clients) client.socket.destroy();
      warmUp.socket.destroy();
    });

    it('a client gets its response but never the end of it, until the parent exits', async () => {
      server = await startStep('3d');
      const client = openClient(server.target, GET('/hello'));
      await until(() => client.received().length === RESPONSE.length, 'the response arrived');
      assertSameBytes(client.received(), RESPONSE);
      await until(
        () => childrenOf(server!.pid).length === 0,
        'the child has closed its copy and exited',
      );
      expect(client.ending()).toBeUndefined(); // still open: the parent holds the socket
      process.kill(server.pid, 'SIGKILL'); // the kernel closes the parent's descriptors: the last copy
      await client.closed;
      expect(client.ending()).toBe('end');
      await once(server.process, 'exit').catch(() => undefined);
    });
  },
);
