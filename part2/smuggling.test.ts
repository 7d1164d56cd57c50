// The demo of part2/lessons/smuggling.md, as the lesson runs it: the lenient front of
// part2/fixtures/lenient-front.ts before the course's server (2b, persistent connections), and
// before a back end without the rule (part2/fixtures/lenient-back.ts). What the lesson says
// happens, this test shows happening.
import { connect, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import { startGateway, type RunningGateway } from '../scripts/lib/servers.ts';
import { exchange, visible, type Target } from '../scripts/lib/wire.ts';
import { app as hello } from './apps/hello.ts';
import { createLenientBack } from './fixtures/lenient-back.ts';
import { createFront } from './fixtures/lenient-front.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

/** The request the lesson hides: on its own it is valid, and the front would refuse it. */
const HIDDEN = 'GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n';

/** The lesson's requests, one HTTP line per string. */
const REQUESTS = {
  hello: ['GET /hello HTTP/1.1\r\n', 'Host: localhost\r\n', 'Connection: close\r\n', '\r\n'],
  admin: ['GET /admin HTTP/1.1\r\n', 'Host: localhost\r\n', '\r\n'],
  clTe: [
    'POST /hello HTTP/1.1\r\n',
    'Host: localhost\r\n',
    'Content-Length: 45\r\n',
    'Transfer-Encoding: chunked\r\n',
    '\r\n',
    '0\r\n',
    '\r\n',
    HIDDEN,
  ],
  clCl: [
    'POST /hello HTTP/1.1\r\n',
    'Host: localhost\r\n',
    'Content-Length: 40\r\n',
    'Content-Length: 0\r\n',
    '\r\n',
    HIDDEN,
  ],
};

/** Each status line in `bytes`, in order. */
function statusLines(bytes: Buffer): string[] {
  return bytes.toString('latin1').match(/^HTTP\/1\.1 \d{3} [^\r]*/gm) ?? [];
}

/**
 * Sends `lines` in one write and resolves with what came back once `done` holds for it, or
 * when the connection ends (then the assertions say what was missing).
 */
function readUntil(
  target: Target,
  lines: string[],
  done: (text: string) => boolean,
): Promise<Buffer> {
  const socket = connect({ ...target, noDelay: true });
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const finish = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (done(Buffer.concat(chunks).toString('latin1'))) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish); // a reset ends the read; the assertions show what arrived
    socket.write(lines.join(''), 'latin1');
  });
}

async function listen(server: Server): Promise<Target> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

describe('request smuggling through a lenient front (part2/lessons/smuggling.md)', () => {
  const stops: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  /** Starts the front before `backend`; returns its address and the lines it logged. */
  async function startFront(backend: Target): Promise<{ front: Target; log: string[] }> {
    const log: string[] = [];
    const server = createFront(backend, (line) => log.push(line));
    const front = await listen(server);
    stops.push(() => new Promise((resolve) => server.close(resolve)));
    return { front, log };
  }

  /** Sends `lines` to the front in one write; resolves when the connection has ended. */
  function send(front: Target, lines: string[]) {
    return exchange(front, [Buffer.from(lines.join(''), 'latin1')], { idleTimeoutMs: 10_000 });
  }

  it('byte counts: Content-Length 45 covers the last chunk and the hidden request', () => {
    expect(Buffer.byteLength(`0\r\n\r\n${HIDDEN}`)).toBe(45);
    expect(Buffer.byteLength(HIDDEN)).toBe(40);
  });

  it('before the course server: /admin is refused, CL.TE and CL.CL get 400', async () => {
    const gateway: RunningGateway = await startGateway(hello, {}, true);
    stops.push(() => gateway.close());
    const { front, log } = await startFront(gateway.target);

    const passed = await send(front, REQUESTS.hello);
    expect(statusLines(passed.bytes)).toEqual(['HTTP/1.1 200 OK']);
    const refused = await send(front, REQUESTS.admin);
    expect(refused.bytes.toString('latin1')).toMatch(
      /^HTTP\/1\.1 403 Forbidden\r\n[^]*The front forbids \/admin here\n$/,
    );

    const clTe = await send(front, REQUESTS.clTe);
    expect(statusLines(clTe.bytes), visible(clTe.bytes)).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(clTe.bytes.toString('utf8')).toContain(
      '\r\n\r\n400 Bad Request: a request must not have both Transfer-Encoding and ' +
        'Content-Length (RFC 9112 §6.3)\n',
    );
    expect(clTe.ending).toBe('end'); // RFC 9112 §6.3: "and then close the connection"

    const clCl = await send(front, REQUESTS.clCl);
    expect(statusLines(clCl.bytes), visible(clCl.bytes)).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(clCl.bytes.toString('utf8')).toContain(
      '400 Bad Request: invalid Content-Length "40,0" (RFC 9112 §6.3)\n',
    );
    expect(clCl.ending).toBe('end');

    const to = `-> 127.0.0.1:${gateway.target.port}`;
    expect(log).toEqual([
      `front: GET /hello HTTP/1.1 ${to}`,
      'front: GET /admin HTTP/1.1 -> 403, /admin is not for the public',
      `front: POST /hello HTTP/1.1 + 45 bytes by Content-Length ${to}`,
      `front: POST /hello HTTP/1.1 + 40 bytes by Content-Length ${to}`,
    ]);
  }, 30_000);

  it('before a back end without the rule: the hidden GET /admin is answered', async () => {
    const back = createLenientBack();
    const backend = await listen(back as unknown as Server);
    stops.push(() => {
      back.closeAllConnections();
      return new Promise((resolve) => back.close(resolve));
    });
    const { front, log } = await startFront(backend);
    // The lenient back end keeps the connection open (its fault): read to the second answer.
    const smuggled = await readUntil(front, REQUESTS.clTe, (text) =>
      text.endsWith('you asked for /admin\n'),
    );
    expect(statusLines(smuggled), visible(smuggled)).toEqual([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK',
    ]);
    const text = smuggled.toString('latin1');
    expect(text).toContain('\r\n\r\nyou asked for /hello\n');
    expect(text.endsWith('\r\n\r\nyou asked for /admin\n')).toBe(true);
    const to = `-> 127.0.0.1:${backend.port}`;
    expect(log).toEqual([`front: POST /hello HTTP/1.1 + 45 bytes by Content-Length ${to}`]);
  }, 30_000);
});
