/**
 * The forking servers (3c-3h) under clients that send no proper request:
 * whatever the client does, its child exits, the parent's descriptors come
 * back to where they were, and the next client is answered (issue 15).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../scripts/lib/bundle.ts';
import { budgetFor, timed } from '../scripts/testing/budget.ts';
import { HOSTILE_KINDS, hostileClient } from '../scripts/testing/hostile-clients.ts';
import { childrenOf, descriptorCount, until } from '../scripts/lib/processes.ts';
import { openClient, startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { assertSameBytes, exchange } from '../scripts/lib/wire.ts';
import { RESPONSE } from '../part1/webserver1.ts';
import { crlf, HELLO_ANSWER as HELLO } from '../scripts/testing/gateway-bytes.ts';

/** Joins HTTP lines with CRLF: one line of the message per string. */
const GET = (path: string) => crlf(`GET ${path} HTTP/1.1`, 'Host: localhost', '', '');
/**
 * Short timeouts, so that a silent client's child is let go in the tests'
 * time: the idle timeout of 3c-3g (Part 1's, 60 s) and 3h's request timeout
 * (Part 2's, 30 s), both in ms.
 */
const QUICK = { LSBAWS_IDLE_TIMEOUT_MS: '700', LSBAWS_REQUEST_TIMEOUT_MS: '700' };

/** The steps under test, how to start each, and what a good client gets. */
const STEPS = [
  { step: '3c', args: ['--sleep', '0'], app: undefined, answer: RESPONSE },
  { step: '3f', args: ['--sleep', '0'], app: undefined, answer: RESPONSE },
  { step: '3g', args: ['--sleep', '0'], app: undefined, answer: RESPONSE },
  { step: '3h', args: ['--quiet'], app: 'hello', answer: HELLO },
] as const;

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/**
 * NODE_OPTIONS that load part3/fixtures/stop-one-child.mjs into the step and its
 * children: once the file `armed` exists, the next child to start stops itself
 * before it can say 'ready'.
 */
function stopOneChild(armed: string): NodeJS.ProcessEnv {
  const fixture = pathToFileURL(
    fileURLToPath(new URL('./fixtures/stop-one-child.mjs', import.meta.url)),
  ).href;
  return {
    LSBAWS_TEST_STOP_ONE: armed,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${fixture}`.trim(),
  };
}

/**
 * Serves one good request (the first fork opens what libuv keeps for good), waits until its child
 * has gone, and returns the parent's descriptor count and how long the exchange took, in ms.
 */
async function warmUp(
  running: RunningStep,
  answer: Buffer,
): Promise<{ baseline: number; ms: number }> {
  const { result, ms } = await timed(() => exchange(running.target, [GET('/warm-up')]));
  assertSameBytes(result.bytes, answer, 'the warm-up');
  await until(() => childrenOf(running.pid).length === 0, 'the warm-up child has gone');
  return { baseline: descriptorCount(running.pid), ms };
}

/**
 * How long a child of `step` takes to start and say 'ready' on this machine now, in ms: a child
 * started as the parent starts it, then killed.
 */
async function childStartMs(step: string): Promise<number> {
  const script = await buildProgram(step);
  const started = performance.now();
  const child = fork(script, ['--child', '--sleep', '0'], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await once(child, 'message');
  const ms = performance.now() - started;
  child.kill('SIGKILL');
  await once(child, 'exit');
  return ms;
}

/** Waits until the parent has no child and `baseline` descriptors, saying what is left if not. */
async function backToBaseline(
  running: RunningStep,
  baseline: number,
  timeoutMs: number,
): Promise<void> {
  const left = () =>
    childrenOf(running.pid)
      .map((info) => `${info.pid} ${info.state}`)
      .join(', ');
  await until(() => childrenOf(running.pid).length === 0, 'no child is left', timeoutMs).catch(
    (error: Error) => {
      throw new Error(
        `${error.message}: children left: ${left()}\nstderr:\n${running.stderr.join('\n')}`,
      );
    },
  );
  await until(
    () => descriptorCount(running.pid) === baseline,
    `the parent is back to ${baseline} descriptors`,
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (it has ${descriptorCount(running.pid)})`);
  });
}

describe.each(STEPS)(
  '$step: a child per connection, whatever the client does',
  ({ step, args, app, answer }) => {
    it('empty, reset, half-closed, silent, trickling, stuck: no child left, descriptors back, next client answered', async () => {
      const armed = join(mkdtempSync(join(tmpdir(), 'stop-one-')), 'armed');
      // The hand-over bound: 1.5 s, or four child starts on a machine so busy that 1.5 s is not
      // enough (a good child killed there would fail the next client).
      // (3h's child needs its application to start: 3c's, the same Node start, stands in for it.)
      const handoverMs = Math.max(
        1500,
        Math.ceil(4 * (await childStartMs(step === '3h' ? '3c' : step))),
      );
      const env = {
        ...QUICK,
        LSBAWS_HANDOVER_TIMEOUT_MS: String(handoverMs),
        ...stopOneChild(armed),
      };
      server = await startStep(step, [...args], { ...(app ? { app } : {}), env });
      const running = server;
      const { baseline, ms } = await warmUp(running, answer);
      // 19 connections at once besides the hand-over bound: the warm-up's time, scaled (budget.ts).
      const budgetMs = handoverMs + budgetFor(ms, 19);
      // A child that stops while it starts, before it can say 'ready' (the fixture
      // stops it): the parent must kill it once the hand-over bound has passed.
      writeFileSync(armed, '');
      const stuck = openClient(running.target, GET('/stuck'));
      let stopped: number | undefined;
      await until(
        () =>
          (stopped = childrenOf(running.pid).find((info) => info.state === 'T')?.pid) !== undefined,
        'a child has stopped itself',
        budgetMs,
      );
      // Meanwhile three of each kind of client, all at once: 18 more connections, fewer than 3g's 32 children.
      const outcomes = await Promise.all(
        HOSTILE_KINDS.flatMap((kind) => [1, 2, 3].map(() => hostileClient(running.target, kind))),
      );
      expect(outcomes).toHaveLength(18);
      await running.line(
        new RegExp(
          `^Child ${stopped} did not take its connection within ${handoverMs} ms: killed$`,
        ),
        'stderr',
        budgetMs,
      );
      await stuck.closed;
      expect(stuck.received().length).toBe(0); // dropped, not answered: its child never had it
      // A silent client's child waits QUICK's 700 ms; a trickling one's 700 ms after its last byte.
      await backToBaseline(running, baseline, budgetMs);
      // 3f and 3g count the children alive: the count must have come back to 0 too (3g's limit never fills with the dead).
      // (Waited for: the child can leave the process table a moment before the parent's 'exit'
      // handler has run and its line has come through the pipe.)
      if (step === '3f' || step === '3g') {
        const counted = () =>
          running.stdout.filter((line) => / alive(, \d+ waiting)?\)$/.test(line)).at(-1);
        await until(
          () => /\(0 alive(, 0 waiting)?\)$/.test(counted() ?? ''),
          'the parent counts 0 alive',
          budgetMs,
        ).catch((error: Error) => {
          throw new Error(`${error.message} (its last count: ${counted()})`);
        });
      }
      assertSameBytes(
        (await exchange(running.target, [GET('/next')], { idleTimeoutMs: budgetMs })).bytes,
        answer,
        'the next client',
      );
    });
  },
);

describe('3d and 3e: the same hand-over', () => {
  it.each([
    ['3d', ['--sleep', '0']],
    ['3e', ['--busy', '0']],
  ])('%s: empty connections and resets leave no child', async (step, args) => {
    server = await startStep(step, args);
    const running = server;
    const outcomes = await Promise.all(
      ['empty', 'reset', 'empty', 'reset'].map((kind) =>
        hostileClient(running.target, kind as 'empty' | 'reset'),
      ),
    );
    expect(outcomes).toHaveLength(4);
    // Each child lives at least a Node start (tens of ms): watch for all four, so that "none left" means they exited.
    const seen = new Set<number>();
    await until(
      () => {
        for (const info of childrenOf(running.pid)) seen.add(info.pid);
        return seen.size >= 4;
      },
      'a child for each of the four connections',
      10_000,
      1,
    );
    await until(() => childrenOf(running.pid).length === 0, 'no child is left', 10_000);
  });
});

describe('a child that gets no connection', () => {
  it.each(['3c', '3g'])('%s: says ready, waits the hand-over bound, and exits 1', async (step) => {
    const script = await buildProgram(step);
    const HANDOVER_MS = 500;
    // Started as the parent starts it, over an IPC channel, but never sent a connection.
    const forked = performance.now();
    const child = fork(script, ['--child', '--sleep', '0'], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, LSBAWS_HANDOVER_TIMEOUT_MS: String(HANDOVER_MS) },
    });
    const [message] = (await once(child, 'message')) as [unknown];
    expect(message).toBe('ready');
    // Past the bound, exiting takes far less than the start it has just made (timed here).
    const limitMs = HANDOVER_MS + budgetFor(performance.now() - forked);
    const [code] = (await Promise.race([
      once(child, 'exit'),
      sleep(limitMs).then(() => ['still running']),
    ])) as [unknown];
    expect(code).toBe(1);
  });
});
