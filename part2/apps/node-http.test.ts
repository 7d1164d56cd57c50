/**
 * fromNodeHttp: node:http handlers on the gateway. Socket-free tests of what
 * the handler sees and what the server gets back, then real sockets: the
 * three framework apps behind the validator, and an Express app that fails
 * in every way we know (part2/fixtures/expressfaults.ts), the server serving
 * on after each. The exact bytes of each app's answers are golden transcripts
 * (transcripts.test.ts replays them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApp, makeEnviron } from '../../scripts/lib/harness.ts';
import { startGateway, type RunningGateway } from '../../scripts/lib/servers.ts';
import { exchange, type Target } from '../../scripts/lib/wire.ts';
import type { Application } from '../gateway.ts';
import { app as expressapp } from './expressapp.ts';
import { app as fastifyapp } from './fastifyapp.ts';
import { app as koaapp } from './koaapp.ts';
import { fromNodeHttp, toInjectOptions } from './node-http.ts';
import { validator } from './validator.ts';
import {
  app as faults,
  appDefaultTimeout as patientFaults,
  FAULT_TIMEOUT_MS,
} from '../fixtures/expressfaults.ts';

/** What a handler saw of its request, collected by {@link seeing}. */
interface Seen {
  method?: string;
  url?: string;
  headers?: IncomingMessage['headers'];
  body?: string;
  remoteAddress?: string;
}

/** A handler that notes what it sees, then answers 204. */
function seeing(seen: Seen): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers });
      Object.assign(seen, { body: Buffer.concat(chunks).toString('utf8') });
      seen.remoteAddress = req.socket.remoteAddress;
      res.statusCode = 204;
      res.end();
    });
  };
}

describe('fromNodeHttp: the request a node:http handler sees', () => {
  it('method, URL percent-encoded again with its query, header fields, body, address', async () => {
    const seen: Seen = {};
    const environ = makeEnviron(
      {
        REQUEST_METHOD: 'POST',
        PATH_INFO: '/hello/Ren\u00c3\u00a9', // PEP 3333: one character per byte
        QUERY_STRING: 'a=1&b=%20',
        HTTP_X_TRACE_ID: 'abc',
        CONTENT_TYPE: 'text/plain',
        CONTENT_LENGTH: '5',
        REMOTE_ADDR: '10.0.0.7',
      },
      Buffer.from('hello'),
    );
    const answer = await callApp(fromNodeHttp(seeing(seen)), environ);
    expect(answer.status).toBe('204 No Content');
    expect(seen).toEqual({
      method: 'POST',
      url: '/hello/Ren%C3%A9?a=1&b=%20',
      headers: {
        host: 'localhost:8888',
        'user-agent': undefined,
        'x-trace-id': 'abc',
        'content-type': 'text/plain',
        'content-length': '5',
      },
      body: 'hello',
      remoteAddress: '10.0.0.7',
    });
  });

  it('without a Host field, the authority is SERVER_NAME:SERVER_PORT', () => {
    const environ = makeEnviron({ HTTP_HOST: undefined, SERVER_NAME: 'example.test' });
    expect(toInjectOptions(environ).authority).toBe('example.test:8888');
  });
});

describe('fromNodeHttp: the response the server gets', () => {
  it('status and reason, header fields in order and spelling, one field per value', async () => {
    const errors: string[] = [];
    const app = fromNodeHttp((req, res) => {
      res.setHeader('X-Powered-By', 'Express');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('Connection', 'keep-alive'); // hop-by-hop: the server's business
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end('made\n');
    });
    const answer = await callApp(app, makeEnviron({}, undefined, errors));
    expect(answer.status).toBe('201 Created');
    expect(answer.headers).toEqual([
      ['X-Powered-By', 'Express'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['content-type', 'text/plain'],
    ]);
    expect(answer.body.toString()).toBe('made\n');
    expect(errors).toEqual([
      'fromNodeHttp: dropped the hop-by-hop header field Connection: keep-alive\n',
    ]);
  });

  it('HEAD: the head only, as node:http sends it', async () => {
    const app = fromNodeHttp((req, res) => res.end('a body HEAD must not carry\n'));
    const answer = await callApp(app, makeEnviron({ REQUEST_METHOD: 'HEAD' }));
    expect(answer.status).toBe('200 OK');
    expect(answer.body.length).toBe(0);
  });
});

describe('fromNodeHttp: a handler that fails, without a socket', () => {
  it('throws: the iteration rejects with its error, before start_response', async () => {
    const app = fromNodeHttp(() => {
      throw new Error('boom');
    });
    await expect(callApp(app)).rejects.toThrow('boom');
  });

  it('returns a promise that rejects: the iteration rejects, the process lives on', async () => {
    const app = fromNodeHttp(async () => {
      throw new Error('rejected');
    });
    await expect(callApp(app)).rejects.toThrow('rejected');
  });

  it("destroys its response with an error ('error'): the iteration rejects", async () => {
    const app = fromNodeHttp((req, res) => res.destroy(new Error('destroyed')));
    await expect(callApp(app)).rejects.toThrow('destroyed');
  });

  it('never answers: rejects after timeoutMs, with a line on wsgi.errors', async () => {
    const errors: string[] = [];
    const app = fromNodeHttp(() => {}, { timeoutMs: 50 });
    const environ = makeEnviron({ PATH_INFO: '/slow' }, undefined, errors);
    await expect(callApp(app, environ)).rejects.toThrow('stayed silent for 50 ms');
    expect(errors).toEqual(['fromNodeHttp: GET /slow: no response head after 50 ms\n']);
  });
});

/** One request to `target`: the response as text, and how the exchange ended. */
async function ask(target: Target, request: string): Promise<{ text: string; ending: string }> {
  const { bytes, ending } = await exchange(target, [Buffer.from(request, 'utf8')]);
  return { text: bytes.toString('utf8'), ending };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost:8888\r\n\r\n`;
const POST = (path: string, json: string) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost:8888\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;

const APPS: Array<[string, Application]> = [
  ['Express', expressapp],
  ['Fastify', fastifyapp],
  ['Koa', koaapp],
];

for (const [name, app] of APPS) {
  describe(`${name} behind the validator, on the gateway server`, () => {
    it('answers every request of its transcripts, and the validator finds nothing', async () => {
      const gateway = await startGateway(validator(app));
      try {
        const requests = [GET('/hello'), GET('/hello/Ren%C3%A9'), GET('/nope'), GET('/hello')];
        requests.push(
          POST('/echo', '{"name":"Ren\u00e9"}'),
          `HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n`,
        );
        const statuses = [];
        for (const request of requests) statuses.push((await ask(gateway.target, request)).text);
        expect(statuses.map((text) => text.slice(0, 12))).toEqual([
          ...['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 200'],
          ...['HTTP/1.1 200', 'HTTP/1.1 200'],
        ]);
        expect(gateway.errors).toEqual([]);
      } finally {
        await gateway.close();
      }
    });
  });
}

/** After a failure: the server at `target` still answers. */
async function servesOn(target: Target): Promise<void> {
  const { text } = await ask(target, POST('/echo', '{"still":"here"}'));
  expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\{"still":"here"\}$/);
}

describe('an Express app that fails, on the gateway: each answered, the server serves on', () => {
  let gateway: RunningGateway;
  beforeAll(async () => (gateway = await startGateway(faults)));
  afterAll(() => gateway.close());

  it("a route that throws: Express's own 500", async () => {
    expect((await ask(gateway.target, GET('/throws'))).text).toMatch(/^HTTP\/1\.1 500 /);
    await servesOn(gateway.target);
  });

  it("a response destroyed with an error: the server's 500, the error in its log", async () => {
    const { text } = await ask(gateway.target, GET('/destroys'));
    expect(text).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n[^]*the application failed/);
    expect(gateway.errors.join('')).toContain('a route that destroys its response');
    await servesOn(gateway.target);
  });

  it(`never answers: the server's 500 after ${FAULT_TIMEOUT_MS} ms, a log line`, async () => {
    const { text } = await ask(gateway.target, GET('/never-ends'));
    expect(text).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    const line = `fromNodeHttp: GET /never-ends: no response head after ${FAULT_TIMEOUT_MS} ms\n`;
    expect(gateway.errors).toContain(line);
    await servesOn(gateway.target);
  });

  it('a route that stalls after its first chunk: that chunk, a reset, a log line', async () => {
    const { text, ending } = await ask(gateway.target, GET('/stalls'));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\na first chunk, then silence\n$/);
    expect(ending).toBe('error'); // ECONNRESET: the body is not complete, and the client knows
    expect(gateway.errors).toContain(
      `fromNodeHttp: GET /stalls: no body bytes for ${FAULT_TIMEOUT_MS} ms\n`,
    );
    await servesOn(gateway.target);
  });
});

describe('a body over a limit, on the gateway: answered, and the server serves on', () => {
  let gateway: RunningGateway;
  beforeAll(async () => (gateway = await startGateway(faults)));
  afterAll(() => gateway.close());

  it("a JSON body over express.json()'s 100 kB: Express's own 413", async () => {
    const big = JSON.stringify({ text: 'x'.repeat(200_000) });
    expect((await ask(gateway.target, POST('/echo', big))).text).toMatch(/^HTTP\/1\.1 413 /);
    await servesOn(gateway.target);
  });

  it("a body over the server's 1 MiB: the server's 413, before the app is called", async () => {
    const head = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 ** 21}\r\n\r\n`;
    expect((await ask(gateway.target, head)).text).toMatch(/^HTTP\/1\.1 413 Content Too Large\r\n/);
    await servesOn(gateway.target);
  });
});

describe('streamed: each chunk goes out as the handler writes it', () => {
  it('GET /streams: the first chunk arrives while the rest does not exist yet', async () => {
    const gateway = await startGateway(patientFaults); // a busy machine may take 300 ms to release
    try {
      const streams = openReader(gateway.target, GET('/streams'));
      await streams.until('the first chunk\n');
      expect(streams.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nthe first chunk\n$/);
      expect((await ask(gateway.target, GET('/release'))).text).toMatch(/released 1\n$/);
      await streams.ended;
      expect(streams.text()).toMatch(/\r\n\r\nthe first chunk\nthe rest, after GET \/release\n$/);
    } finally {
      await gateway.close();
    }
  });
});

/** A connection that sends `request` and collects the response as it arrives. */
function openReader(target: Target, request: string) {
  const socket = connect({ ...target, noDelay: true }, () => socket.write(request));
  let received = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
    for (const wake of waiters) wake();
  });
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('end', resolve);
    socket.on('error', reject); // a reset fails the test, and says why
  });
  /** Resolves once the response so far ends with `text`. */
  const until = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => received.endsWith(text) && (waiters.delete(check), resolve());
      waiters.add(check);
      check();
    });
  return { text: () => received, until, ended };
}
