/**
 * 3i's pool under an application that crashes a worker with every request: 60 requests in a
 * row, each one a worker's end and a new worker's start (about 60 Node starts, 10 s of CPU on
 * two cores), so `npm run test:stress`, not `npm test`. The primary holds the listening socket
 * for the life of the pool, so no client is refused while workers are replaced (issue 15);
 * part3/pool-keeps-port.test.ts holds the rest of that promise in npm test.
 */
import { describe, expect, it as vitestIt } from 'vitest';
import { openClient, startStep, type TimedClient } from '../scripts/lib/running-steps.ts';
import { exchange } from '../scripts/lib/wire.ts';
import { RESTART_DELAY_MS } from './webserver3i.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { CRASH_APP, GET, stoppedAfterEach } from './fixtures/pool-port.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const servers = stoppedAfterEach();

/** Resolves once `client` has connected, or failed to (refused). */
function connectedOrFailed(client: TimedClient): Promise<void> {
  return new Promise((resolve) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('close', () => resolve());
  });
}

describe('3i: the pool keeps its port while it replaces workers', () => {
  it('60 requests in a row to an application that exits its worker: none refused, every client closed, then answered again', async () => {
    // The delay still doubles (50, 100, 200 ms), but stops at 200 ms rather than a second.
    const env = { LSBAWS_RESTART_DELAY_MAX_MS: '200' };
    const server = await startStep('3i', ['--workers', '2', '--quiet'], { app: CRASH_APP, env });
    servers.push(server);
    const clients: TimedClient[] = [];
    for (let i = 0; i < 60; i++) {
      const client = openClient(server.target, GET('/die'));
      clients.push(client);
      await connectedOrFailed(client); // in a row: each connects after the one before it
    }
    await Promise.all(clients.map((client) => client.closed));
    const endings = clients.map((client) => client.ending() ?? 'open');
    expect(endings.filter((ending) => ending === 'ECONNREFUSED')).toEqual([]);
    // No answer (the worker exited in the application): the connection closed, by a FIN or a reset.
    for (const client of clients) expect(client.received().length).toBe(0);
    const answer = await exchange(server.target, [GET('/ok')], { idleTimeoutMs: 10_000 });
    expect(answer.bytes.toString('latin1')).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nalive \d+\n$/,
    );
    // Workers that die young are replaced after a delay that grows: never a fork storm.
    const delays = server.stderr
      .map((line) => /died young\); starting another in (\d+) ms$/.exec(line)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(delays.length).toBeGreaterThan(1);
    expect(delays[0]).toBe(RESTART_DELAY_MS);
    expect(Math.max(...delays)).toBeGreaterThan(RESTART_DELAY_MS);
  });
});
