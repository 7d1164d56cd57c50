/**
 * No response is ever lost to the way we close (issue 14). Part 1 and Part 2
 * close at once when the whole request has been read, and linger (FIN, read
 * and drop, bounded) when the client may still be sending. Each kind of
 * client below must get every byte of its response; clients that reset get
 * nothing, and leave the server serving.
 */
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { listen, RESPONSE } from '../part1/webserver1b.ts';
import { startGateway } from '../scripts/lib/servers.ts';
import {
  assertSameBytes,
  exchange,
  type ExchangeOptions,
  type Target,
} from '../scripts/lib/wire.ts';
import { app as hello } from './apps/hello.ts';
import { crlf, HELLO_ANSWER as HELLO } from '../scripts/testing/gateway-bytes.ts';

// These tests hold the course's bytes: a failure an exercise the student started explains is
// skipped, naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/']);

/** Joins HTTP lines with CRLF: one line of the message per string. */
const GET = crlf('GET /hello HTTP/1.1', 'Host: localhost', '', '');
/** Connections opened at once: more than the default backlog (511); some wait for a SYN retry. */
const BURST = 1_000;

/** A client that may still be sending when the server answers, and how it sends. */
interface Sender {
  name: string;
  writes: Buffer[];
  options?: ExchangeOptions;
  /** The head is over the limit: Part 2 answers 431 (Part 1 answers anyway). */
  tooLarge?: true;
}

const SENDERS: Sender[] = [
  { name: 'a plain GET', writes: [GET] },
  { name: 'a GET, then half-closes (nc -N)', writes: [GET], options: { halfClose: true } },
  // Bytes after the head, not announced: a pipelined request, or garbage. 1 KiB arrives with the
  // head; 512 KiB keeps arriving after the answer, more than the server drops while lingering.
  {
    name: 'a GET and 1 KiB more in one write',
    writes: [Buffer.concat([GET, Buffer.alloc(1024, 'x')])],
  },
  {
    name: 'a GET and 512 KiB more in one write',
    writes: [Buffer.concat([GET, Buffer.alloc(512 * 1024, 'x')])],
  },
  // More than the head limit (8 KiB) in one write: both answer after 8 KiB, while 184 KiB are
  // still arriving. Closing now would make the kernel reset instead of FIN; lingering reads them.
  {
    name: 'a 192 KiB head in one write',
    writes: [Buffer.alloc(192 * 1024, 'GET / HTTP/1.1\r\nX: y\r\n')],
    tooLarge: true,
  },
  {
    name: 'a POST whose body comes 50 ms after its head',
    writes: [
      crlf('POST /hello HTTP/1.1', 'Host: localhost', 'Content-Length: 5', '', ''),
      Buffer.from('hello'),
    ],
    options: { pauseMs: 50 },
  },
];

/** Opens a connection, sends `bytes`, and resets it (RST) at once. Resolves when it has closed. */
function resetAfter(target: Target, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(target);
    socket.on('error', () => {}); // the reset is the point
    socket.on('close', () => resolve());
    socket.on('connect', () => socket.write(bytes, () => socket.resetAndDestroy()));
  });
}

interface Running {
  target: Target;
  close(): Promise<void>;
}

/** Part 2's 431 for a head over 8 KiB, with the tests' fixed Date. */
const TOO_LARGE = crlf(
  'HTTP/1.1 431 Request Header Fields Too Large',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Length: 80',
  'Date: Mon, 15 Jul 2019 05:54:48 GMT',
  'Server: GatewayServer/0.2',
  'Connection: close',
  '',
  '431 Request Header Fields Too Large: the request head is larger than 8192 bytes\n',
);

interface Subject {
  name: string;
  answer: Buffer;
  tooLarge: Buffer;
  start: () => Promise<Running>;
}

const SERVERS: Subject[] = [
  {
    name: 'Part 1',
    answer: RESPONSE,
    tooLarge: RESPONSE,
    start: async () => {
      const server = await listen(0, '127.0.0.1', () => {});
      const { port } = server.address() as AddressInfo;
      return {
        target: { host: '127.0.0.1', port },
        close: () => new Promise((r) => server.close(() => r())),
      };
    },
  },
  {
    name: 'Part 2',
    answer: HELLO,
    tooLarge: TOO_LARGE,
    start: () => startGateway(hello, { log: undefined }),
  },
];

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe.each(SERVERS)('$name: no response is lost to the close', ({ answer, tooLarge, start }) => {
  for (const sender of SENDERS) {
    it(`${sender.name}: every byte of the response, then FIN`, async () => {
      running = await start();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => exchange(running!.target, sender.writes, sender.options)),
      );
      for (const result of results) {
        assertSameBytes(result.bytes, sender.tooLarge ? tooLarge : answer, sender.name);
        expect(result.ending, 'FIN, not a reset').toBe('end');
      }
    });
  }

  it(`clients that reset get nothing, and the server keeps serving`, async () => {
    running = await start();
    await Promise.all(
      [GET, GET.subarray(0, 9), Buffer.from('BAD\r\n\r\n')].map((bytes) =>
        resetAfter(running!.target, bytes),
      ),
    );
    assertSameBytes((await exchange(running.target, [GET])).bytes, answer, 'after the resets');
  });

  it(`a burst of ${BURST} connections at once: ${BURST} whole responses`, async () => {
    running = await start();
    const results = await Promise.all(
      Array.from({ length: BURST }, () =>
        exchange(running!.target, [GET], { idleTimeoutMs: 20_000 }),
      ),
    );
    const whole = results.filter(
      (result) => result.ending === 'end' && result.bytes.equals(answer),
    );
    expect(whole.length).toBe(BURST);
  });
});
