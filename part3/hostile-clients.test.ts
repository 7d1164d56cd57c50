/**
 * The forking servers (3c-3h) under clients that send no proper request:
 * whatever the client does, its child exits, the parent's descriptors come
 * back to where they were, and the next client is answered (issue 15).
 * The full round (part3/fixtures/hostile-round.ts) runs here against 3c, the
 * first forking server, and 3h, the gateway; against 3f and 3g it is
 * hostile-clients.stress.test.ts's (npm run test:stress): each round starts
 * about twenty Node children.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { exercised } from '../scripts/testing/exercised.ts';
import { buildProgram } from '../scripts/lib/bundle.ts';
import { budgetFor } from '../scripts/testing/budget.ts';
import { hostileClient } from '../scripts/testing/hostile-clients.ts';
import { childrenOf, until } from '../scripts/lib/processes.ts';
import { startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { RESPONSE } from '../part1/webserver1.ts';
import { HELLO_ANSWER as HELLO } from '../scripts/testing/gateway-bytes.ts';
import { hostileRound, type HostileStep } from './fixtures/hostile-round.ts';

/** The steps whose full round npm test runs: the first forking server, and the gateway. */
const STEPS: HostileStep[] = [
  { step: '3c', args: ['--sleep', '0'], app: undefined, answer: RESPONSE },
  { step: '3h', args: ['--quiet'], app: 'hello', answer: HELLO },
];

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe.each(STEPS)('$step: a child per connection, whatever the client does', (step) => {
  // A failure a started exercise explains (it changed the server this round runs) is skipped,
  // naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
  const round = exercised(['part1/', 'part2/', 'part3/'], async () => {
    await hostileRound(step, (running) => (server = running));
  });
  it(
    'empty, reset, half-closed, silent, trickling, stuck: no child left, descriptors back, next client answered',
    round,
  );
});

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
