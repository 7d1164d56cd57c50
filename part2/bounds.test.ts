/**
 * Slow and greedy clients over a real socket, against webserver2.ts and webserver2b.ts (3i
 * serves with 2b's makeServer): each bound of handler.ts and decoder.ts with a small value, so
 * that a test waits for the event it names (a 408, a reset), never for a sleep. And one
 * representative strict-framing refusal per server kind, 3i included, byte for byte.
 */
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it as vitestIt } from 'vitest';
import { startGateway, type RunningGateway } from '../scripts/lib/servers.ts';
import { startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { assertSameBytes, exchange } from '../scripts/lib/wire.ts';
import { crlf, refusal } from '../scripts/testing/gateway-bytes.ts';
import { app as fastifyapp } from './apps/fastifyapp.ts';
import { app as hello } from './apps/hello.ts';
import type { Application } from './gateway.ts';
import { makeServer } from './webserver2b.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

let gateway: RunningGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/** The server kinds: one request per connection (2), persistent connections (2b). */
const KINDS = [
  ['webserver2', false],
  ['webserver2b', true],
] as const;

/** `bytes` one byte per write, `pauseMs` apart: a slowloris client. */
function trickle(bytes: Buffer): Buffer[] {
  return [...bytes].map((byte) => Buffer.from([byte]));
}

/** A chunked POST whose head ends a line with a bare LF (llhttp answers 400). */
const BARE_LF_CHUNKED = Buffer.from(
  'POST / HTTP/1.1\r\nHost: x\r\nx:\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
);
const BARE_LF_REFUSAL = refusal(
  '400 Bad Request',
  'a line of a head with Transfer-Encoding ends in LF without CR (RFC 9112 §2.2)',
);

describe.each(KINDS)('%s: slow and greedy clients', (_, persistent) => {
  it('a head trickled a byte at a time: 408 when its total deadline passes', async () => {
    // The silence bound (requestTimeoutMs) never fires: a byte comes every 20 ms.
    const options = { headTimeoutMs: 300, requestTimeoutMs: 5000 };
    gateway = await startGateway(hello, options, persistent);
    const head = crlf('GET /hello HTTP/1.1', 'Host: x', 'X-Slow: ' + 'a'.repeat(200), '', '');
    const started = performance.now();
    const result = await exchange(gateway.target, trickle(head), { pauseMs: 20 });
    const reason = 'the request head took longer than 300 ms in all';
    assertSameBytes(result.bytes, refusal('408 Request Timeout', reason));
    expect(result.ending).toBe('end');
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('a body trickled below the minimum rate: 408 at time + length/rate', async () => {
    const options = { bodyTimeoutMs: 100, minBodyBytesPerSecond: 1000, requestTimeoutMs: 5000 };
    gateway = await startGateway(hello, options, persistent);
    const head = crlf('POST / HTTP/1.1', 'Host: x', 'Content-Length: 100', '', '');
    const body = trickle(Buffer.alloc(100, 'a'));
    const result = await exchange(gateway.target, [head, ...body], { pauseMs: 20 });
    // 100 ms, plus 100 bytes at 1000 bytes/s: 200 ms in all, where 100 bytes take 2 s here.
    const reason = 'the request body took longer than 200 ms in all';
    assertSameBytes(result.bytes, refusal('408 Request Timeout', reason));
  });
});

describe.each(KINDS)('%s: a large body, and a bare LF', (_, persistent) => {
  it('a 5 MiB body without Expect: the client reads its 413, no reset', async () => {
    gateway = await startGateway(hello, {}, persistent);
    const size = 5 * 1024 * 1024; // past LINGER_BYTES, below MAX_DISCARD_BYTES
    const head = crlf('POST / HTTP/1.1', 'Host: x', `Content-Length: ${size}`, '', '');
    // As Python's http.client does: the whole body is written before a byte is read.
    const result = await exchange(gateway.target, [head, Buffer.alloc(size, 'a')]);
    const reason = 'the request body is larger than 1048576 bytes';
    assertSameBytes(result.bytes, refusal('413 Content Too Large', reason));
    expect(result.ending).toBe('end');
  });

  it('a bare LF in a chunked head: 400 and the close (RFC 9112 §2.2)', async () => {
    gateway = await startGateway(hello, {}, persistent);
    const result = await exchange(gateway.target, [BARE_LF_CHUNKED]);
    assertSameBytes(result.bytes, BARE_LF_REFUSAL);
    expect(result.ending).toBe('end');
  });
});

describe('webserver2b: a client that never reads', () => {
  let server: ReturnType<typeof makeServer> | undefined;
  afterEach(() => server?.close());

  it('is reset once a write has waited SEND_TIMEOUT_MS for it to read', async () => {
    let chunksTaken = 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const endless: Application = (_, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return (function* () {
        for (let i = 0; i < 100_000; i++, chunksTaken++) yield chunk; // 6 GiB: never all sent
      })();
    };
    server = makeServer(endless, { sendTimeoutMs: 100, errors: () => {} });
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    client.on('error', () => {}); // the reset is what we wait for
    client.pause(); // never reads
    client.write(crlf('GET / HTTP/1.1', 'Host: x', '', ''));
    const [connection] = await accepted;
    await once(connection, 'close'); // the server gave up on the client
    expect(chunksTaken).toBeLessThan(100_000);
    client.destroy();
  });
});

describe('webserver2b: an application that says Connection: close', () => {
  it('is honoured: Connection: close in the head, and the next request is not read', async () => {
    const closing: Application = (_, startResponse) => {
      startResponse('400 Bad Request', [
        ['Content-Length', '3'],
        ['Connection', 'close'],
      ]);
      return [Buffer.from('no\n')];
    };
    gateway = await startGateway(closing, {}, true);
    const get = crlf('GET / HTTP/1.1', 'Host: x', '', '');
    const result = await exchange(gateway.target, [Buffer.concat([get, get])]);
    const answer = crlf(
      'HTTP/1.1 400 Bad Request',
      'Content-Length: 3',
      'Date: Mon, 15 Jul 2019 05:54:48 GMT',
      'Server: GatewayServer/0.2',
      'Connection: close',
      '',
      'no\n',
    );
    assertSameBytes(result.bytes, answer);
    expect(result.ending).toBe('end');
  });
});

describe('webserver2b: Fastify through the node:http adapter', () => {
  it("a malformed JSON body: Fastify's 400 with Connection: close, and the close", async () => {
    gateway = await startGateway(fastifyapp, {}, true);
    const post = crlf(
      'POST /echo HTTP/1.1',
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: 8',
      '',
      '{"name":',
    );
    const get = crlf('GET /hello HTTP/1.1', 'Host: x', '', '');
    const result = await exchange(gateway.target, [Buffer.concat([post, get])]);
    const text = result.bytes.toString('latin1');
    expect(text.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(text).toContain('\r\nConnection: close\r\n');
    expect(text.match(/HTTP\/1\.1 /g), 'one response: the GET after it is not read').toHaveLength(
      1,
    );
    expect(result.ending).toBe('end');
    expect(gateway.errors.join('')).not.toContain('hop-by-hop');
  });
});

describe('3i (the pool, makeServer of webserver2b): a representative framing refusal', () => {
  let server: RunningStep;
  beforeAll(async () => {
    server = await startStep('3i', ['--quiet', '--workers', '1'], { app: 'hello' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a bare LF in a chunked head: 400 and the close', async () => {
    const result = await exchange(server.target, [BARE_LF_CHUNKED]);
    assertSameBytes(result.bytes, BARE_LF_REFUSAL);
    expect(result.ending).toBe('end');
  });

  it('Transfer-Encoding: \\xa0chunked\\xa0: 400 and the close', async () => {
    const head = crlf('POST / HTTP/1.1', 'Host: x', 'Transfer-Encoding: \xa0chunked\xa0', '', '');
    const result = await exchange(server.target, [head]);
    const reason =
      'the transfer coding "\xa0chunked\xa0" is not a token (RFC 9112 §6.1, RFC 9110 §5.6.3)';
    assertSameBytes(result.bytes, refusal('400 Bad Request', reason));
    expect(result.ending).toBe('end');
  });
});
