/**
 * The original's load test, in full: client3's 1024 connections at once against the pool (3i),
 * and 60 against 3g, which starts a Node child for each (about 10 s of CPU on two cores).
 * `npm run test:stress` runs them, not `npm test`: a thousand connections at once is the heaviest
 * thing a laptop is asked here. Their budgets are a small burst or one exchange timed first, on
 * the same machine. (npm test runs client3's 60 against 3a, which serves them in turn.)
 */
import { afterEach, expect, it as vitestIt } from 'vitest';
import {
  reportNumbers,
  runClient3,
  startStep,
  type RunningStep,
} from '../scripts/lib/running-steps.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { sixtyConnections } from './fixtures/client3-sixty.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

it('1024 connections at once against 3i: all answered within 16 bursts of 64, and under 5 s on a quiet machine', async () => {
  server = await startStep('3i', ['--quiet'], { app: 'hello' });
  const client = ['--host', '127.0.0.1', '--port', String(server.target.port)];
  // 64 connections, timed by client3 itself: the yardstick for 1024 (16 times as many).
  const small = reportNumbers((await runClient3([...client, '--max-conns', '64'])).stdout);
  expect(small).toMatchObject({ connected: 64, failed: 0, ended: 64 });
  const report = reportNumbers((await runClient3(client)).stdout);
  expect(report).toMatchObject({ connected: 1024, failed: 0, ended: 1024 });
  // Sixteen times the 64, twice over, and at least 5 s: a quiet machine must answer all 1024 in
  // that. Past its backlog, a connection waits for a SYN retransmit (1 s, then 3 s, ...), which
  // this bound catches: budgetFor's floor, made for waits, would be too loose to.
  const limitMs = Math.max(5_000, 2 * 16 * small.elapsed! * 1000);
  expect(report.elapsed!).toBeLessThan(limitMs / 1000);
});

it('2 client processes x 30 connections against 3g: every response comes back and ends', async () => {
  server = await startStep('3g');
  await sixtyConnections(server);
});
