import { afterEach, expect, it as vitestIt } from 'vitest';
import { budgetFor, timed } from '../scripts/testing/budget.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { where } from '../scripts/testing/platform.ts';
import { openClient, startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { childrenOf, processInfo, until } from '../scripts/lib/processes.ts';
import { assertSameBytes, exchange } from '../scripts/lib/wire.ts';
import { RESPONSE } from '../part1/webserver1.ts';

// These tests hold the course's bytes: a failure an exercise the student started explains is
// skipped, naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part3/']);

const GET = (path: string) =>
  Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 'latin1');

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

where('zombies', 'a process table').describe('3e: zombies', () => {
  it("a served child is a real zombie (state Z) of the parent until the parent's event loop runs, then libuv reaps it", async () => {
    server = await startStep('3e', ['--busy', '2']);
    const client = openClient(server.target, GET('/hello'));
    const [, child] = await server.line(/^Child PID: (\d+)\. Parent PID \d+$/);
    const pid = Number(child);
    await until(() => processInfo(pid)?.state === 'Z', `child ${pid} is a zombie`, 2000, 10);
    expect(processInfo(pid)?.ppid).toBe(server.pid);
    expect(childrenOf(server.pid).map((info) => `${info.pid} ${info.state}`)).toContain(`${pid} Z`);
    await until(() => processInfo(pid) === undefined, `child ${pid} has been reaped`, 10_000);
    await client.closed;
    assertSameBytes(client.received(), RESPONSE);
  });
});

where('POSIX signals', 'a process table').describe('3f: the grim reaper', () => {
  it("reports every child's exit and counts the children alive; none is left, not even a zombie", async () => {
    server = await startStep('3f', ['--sleep', '0']);
    // One exchange timed first; the burst of 12 may take 12 of them one after another, twice over.
    const warmUp = await timed(() => exchange(server!.target, [GET('/warm-up')]));
    assertSameBytes(warmUp.result.bytes, RESPONSE, 'the warm-up');
    const idleTimeoutMs = budgetFor(warmUp.ms, 12);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        exchange(server!.target, [GET(`/burst/${i}`)], { idleTimeoutMs }),
      ),
    );
    for (const result of results) assertSameBytes(result.bytes, RESPONSE);
    const reaped = await server.lines(
      /^Child (\d+) terminated with status 0 \((\d+) alive\)$/,
      13,
      'stdout',
      idleTimeoutMs,
    );
    const served = await server.lines(/^Child PID: (\d+)\./, 13);
    expect(new Set(reaped.map((match) => match[1]))).toEqual(
      new Set(served.map((match) => match[1])),
    );
    const lastCount = () => server!.stdout.filter((line) => / alive\)$/.test(line)).at(-1);
    await until(
      () => lastCount()?.endsWith('(0 alive)') === true && childrenOf(server!.pid).length === 0,
      'no child is left',
      idleTimeoutMs,
    );
  });

  it('a child killed by a signal is reaped and reported, and the server goes on', async () => {
    server = await startStep('3f', ['--sleep', '0']);
    const victim = openClient(server.target, Buffer.from('GET /half', 'latin1'));
    await until(() => childrenOf(server!.pid).length === 1, 'a child has the connection');
    const pid = childrenOf(server.pid)[0]!.pid;
    process.kill(pid, 'SIGKILL');
    await server.line(new RegExp(`^Child ${pid} terminated with signal SIGKILL \\(0 alive\\)$`));
    await victim.closed;
    assertSameBytes((await exchange(server.target, [GET('/next')])).bytes, RESPONSE);
  });
});

where('a process table').describe('3g: at most --max-children children', () => {
  it('never runs more children than the limit; the other connections wait their turn and are all served', async () => {
    server = await startStep('3g', ['--max-children', '2', '--sleep', '0.3']);
    const pid = server.pid;
    let most = 0;
    const watch = setInterval(
      () => (most = Math.max(most, childrenOf(pid).filter((info) => info.state !== 'Z').length)),
      5,
    );
    const started = performance.now();
    const clients = Array.from({ length: 6 }, (_, i) =>
      openClient(server!.target, GET(`/queued/${i}`)),
    );
    await Promise.all(clients.map((client) => client.closed));
    clearInterval(watch);
    for (const client of clients) assertSameBytes(client.received(), RESPONSE);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 300); // 6 connections, 2 at a time, 0.3 s each
    const lines = await server.lines(
      /^Child \d+ terminated with status 0 \((\d+) alive, (\d+) waiting\)$/,
      6,
    );
    expect(Math.max(...lines.map((match) => Number(match[2])))).toBeGreaterThan(0); // some did wait
    await until(() => childrenOf(pid).length === 0, 'no child is left');
  });
});
