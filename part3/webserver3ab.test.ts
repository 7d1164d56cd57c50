import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { openClient, startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { assertSameBytes } from '../scripts/lib/wire.ts';
import { RESPONSE } from './plumbing.ts';

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

describe('3a: an iterative server', () => {
  it('GET /second waits, unread, until the connection before it is done', async () => {
    server = await startStep('3a');
    const first = openClient(server.target, Buffer.from('GET /first HTTP/1.1\r\n', 'latin1')); // no blank line yet
    await once(first.socket, 'connect'); // first in the queue
    const second = openClient(server.target, GET('/second'));
    // An absence can only be seen over a while: a concurrent server (Part 1's)
    // would read and answer /second within milliseconds. This one must not read it.
    await sleep(300);
    expect(server.stdout.some((line) => line.startsWith('GET /second'))).toBe(false);
    expect(second.received().length).toBe(0);

    const firstComplete = performance.now();
    first.socket.write('\r\n'); // the blank line: now the first request is whole
    const secondFirstByte = await second.firstByte;
    await Promise.all([first.closed, second.closed]);
    assertSameBytes(first.received(), RESPONSE, 'first');
    assertSameBytes(second.received(), RESPONSE, 'second');
    // Only once the first request was whole could the second be answered. (Not compared with
    // the first's close on the client: both sockets turn readable in the same poll, in any order.)
    expect(secondFirstByte).toBeGreaterThanOrEqual(firstComplete);
    const order = server.stdout.filter((line) => line.startsWith('GET '));
    expect(order).toEqual(['GET /first HTTP/1.1', 'GET /second HTTP/1.1']);
  });

  it('a client that resets while others wait does not stop the server', async () => {
    server = await startStep('3a');
    const rude = openClient(server.target, Buffer.from('GET /rude HTTP/1.1\r\n', 'latin1'));
    const waiting = openClient(server.target, GET('/patient'));
    await once(rude.socket, 'connect');
    rude.socket.resetAndDestroy();
    await waiting.closed;
    assertSameBytes(waiting.received(), RESPONSE, 'the client that waited');
  });
});

describe('3b: blocked after each response', () => {
  it('the first connection ends only after --sleep, and only then is the second client answered', async () => {
    server = await startStep('3b', ['--sleep', '0.5']);
    const started = performance.now();
    const first = openClient(server.target, GET('/first'));
    await first.firstByte; // the response is out; the server now sleeps before it closes
    const second = openClient(server.target, GET('/second'));
    const [firstClosed, secondFirstByte] = await Promise.all([first.closed, second.firstByte]);
    await second.closed;
    assertSameBytes(first.received(), RESPONSE, 'first');
    assertSameBytes(second.received(), RESPONSE, 'second');
    expect(firstClosed - started).toBeGreaterThanOrEqual(500); // the FIN waited for the sleep
    // The second client waited for the sleep too. (Not compared with the first's close on the
    // client: the FIN and the second response turn readable in the same poll, in any order.)
    expect(secondFirstByte - started).toBeGreaterThanOrEqual(500);
  });
});
