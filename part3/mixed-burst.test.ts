/**
 * A burst of good clients mixed with empty connections and resets, all at
 * once, on the forking servers that limit their children (3g) and serve the
 * gateway (3h): every good client is answered byte for byte, and the parent
 * ends with no child and its descriptors back where they were (issue 15).
 * Each connection costs a Node start, 40-60 ms of CPU: this file is the
 * suite's heaviest, kept apart so that it runs beside the others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hostileClient } from '../scripts/testing/hostile-clients.ts';
import { childrenOf, descriptorCount, until } from '../scripts/testing/processes.ts';
import { startStep, type RunningStep } from '../scripts/testing/running-steps.ts';
import { assertSameBytes, exchange } from '../scripts/testing/wire.ts';
import { RESPONSE } from './plumbing.ts';
import { crlf, HELLO_ANSWER as HELLO } from '../scripts/testing/gateway-bytes.ts';

/** Joins HTTP lines with CRLF: one line of the message per string. */
const GET = (path: string) => crlf(`GET ${path} HTTP/1.1`, 'Host: localhost', '', '');

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe.each([
  { step: '3g', args: ['--sleep', '0'], app: undefined, answer: RESPONSE },
  { step: '3h', args: ['--quiet'], app: 'hello', answer: HELLO },
])('$step: a mixed burst', ({ step, args, app, answer }) => {
  it('300 good clients with 60 empty connections and 30 resets at once: every good client answered byte for byte', async () => {
    server = await startStep(step, args, { ...(app ? { app } : {}) });
    const running = server;
    // The first fork opens what libuv keeps for good (the SIGCHLD pipe): warm up, then count.
    assertSameBytes(
      (await exchange(running.target, [GET('/warm-up')])).bytes,
      answer,
      'the warm-up',
    );
    await until(() => childrenOf(running.pid).length === 0, 'the warm-up child has gone');
    const baseline = descriptorCount(running.pid);
    const good = Array.from({ length: 300 }, (_, i) =>
      exchange(running.target, [GET(`/burst/${i}`)], { idleTimeoutMs: 40_000 }),
    );
    const bad = [
      ...Array.from({ length: 60 }, () => hostileClient(running.target, 'empty')),
      ...Array.from({ length: 30 }, () => hostileClient(running.target, 'reset')),
    ];
    const [results] = await Promise.all([Promise.all(good), Promise.all(bad)]);
    const answered = results.filter((result) => result.bytes.equals(answer)).length;
    const wrong = results.find((result) => !result.bytes.equals(answer));
    if (wrong) assertSameBytes(wrong.bytes, answer, `a good client (${answered} of 300 answered)`);
    expect(answered).toBe(300);
    await until(() => childrenOf(running.pid).length === 0, 'no child is left', 20_000);
    await until(
      () => descriptorCount(running.pid) === baseline,
      `the parent is back to ${baseline} descriptors`,
      5000,
    );
  }, 90_000);
});
