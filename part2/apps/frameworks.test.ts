/**
 * Three real frameworks, unchanged, on our gateway server through fromFetch:
 * the same requests to each, and what each framework answers in its own way.
 * (The golden transcripts hold the exact bytes of GET /hello and GET /nope.)
 */
import { describe, expect, it } from 'vitest';
import { startGateway } from '../../scripts/lib/servers.ts';
import { exchange } from '../../scripts/lib/wire.ts';
import type { Application } from '../gateway.ts';
import { app as h3app } from './h3app.ts';
import { app as honoapp } from './honoapp.ts';
import { app as ittyapp } from './ittyapp.ts';
import { validator } from './validator.ts';

interface Framework {
  name: string;
  app: Application;
  /** The content-type its hello handler's Response carries. */
  helloType: string;
  /** Its default 404: content-type and body. */
  notFound: { type: string; body: string };
  /** What its router does with HEAD /hello: they differ (Fetch leaves HEAD to the framework). */
  head: string;
  /** The rule the validator finds broken in its HEAD /hello response, if any. */
  headViolation?: string;
}

const FRAMEWORKS: Framework[] = [
  {
    name: 'Hono',
    app: honoapp,
    helloType: 'text/plain;charset=UTF-8',
    notFound: { type: 'text/plain; charset=UTF-8', body: '404 Not Found' },
    // Hono answers HEAD with its GET route
    head: 'HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\n',
  },
  {
    name: 'h3',
    app: h3app,
    helloType: 'text/plain;charset=UTF-8',
    notFound: {
      type: 'application/json;charset=UTF-8',
      body:
        '{"status":404,"message":"Cannot find any route matching [GET] ' +
        'http://localhost:8888/nope"}',
    },
    head: 'HTTP/1.1 200 OK\r\nDate:', // h3 runs the GET route and keeps no content-type
    // RFC 9110 §9.3.2: a HEAD response SHOULD carry the GET response's header fields;
    // wsgiref.validate insists.
    headViolation: 'no Content-Type header in a 200 response',
  },
  {
    name: 'itty-router',
    app: ittyapp,
    helloType: 'text/plain; charset=utf-8',
    notFound: {
      type: 'application/json; charset=utf-8',
      body: '{"status":404,"error":"Not Found"}',
    },
    head: 'HTTP/1.1 404 Not Found\r\n', // AutoRouter has no HEAD route unless you add one
  },
];

/**
 * One request to `app` behind the server (optionally behind the validator too); the response as
 * text and what wsgi.errors got.
 */
async function ask(
  app: Application,
  requestLine: string,
): Promise<{ text: string; errors: string[] }> {
  const gateway = await startGateway(app);
  try {
    const request =
      `${requestLine}\r\nHost: localhost:8888\r\nUser-Agent: ` +
      `curl/7.88.1\r\nAccept: */*\r\n\r\n`;
    const { bytes } = await exchange(gateway.target, [Buffer.from(request, 'latin1')]);
    return { text: bytes.toString('utf8'), errors: gateway.errors };
  } finally {
    await gateway.close();
  }
}

for (const framework of FRAMEWORKS) {
  describe(`${framework.name}, unchanged, on the gateway server`, () => {
    it(
      "GET /hello: 200, the framework's content-type, no content-length (the server closes to " +
        'end the body)',
      async () => {
        const { text } = await ask(framework.app, 'GET /hello HTTP/1.1');
        const [head, body] = text.split('\r\n\r\n');
        expect(head!.split('\r\n').slice(0, 2)).toEqual([
          'HTTP/1.1 200 OK',
          `content-type: ${framework.helloType}`,
        ]);
        expect(head).not.toMatch(/content-length/i);
        expect(body).toBe(`Hello world from ${framework.name}!\n`);
      },
    );

    it("GET /nope: the framework's own 404", async () => {
      const { text } = await ask(framework.app, 'GET /nope HTTP/1.1');
      expect(text).toMatch(
        new RegExp(
          `^HTTP/1\\.1 404 Not Found\\r\\ncontent-type: ${escape(framework.notFound.type)}\\r\\n`,
        ),
      );
      expect(text.split('\r\n\r\n')[1]).toBe(framework.notFound.body);
    });

    it('HEAD /hello: no body from the server, whatever the framework decides', async () => {
      const { text } = await ask(framework.app, 'HEAD /hello HTTP/1.1');
      expect(text.startsWith(framework.head)).toBe(true);
      expect(text.endsWith('\r\n\r\n')).toBe(true);
    });

    it('passes the validator: the adapter keeps every PEP 3333 rule', async () => {
      for (const line of ['GET /hello HTTP/1.1', 'GET /nope HTTP/1.1']) {
        const { text, errors } = await ask(validator(framework.app), line);
        expect(text).not.toMatch(/^HTTP\/1\.1 500/);
        expect(errors).toEqual([]);
      }
    });

    it(`HEAD /hello behind the validator: ${framework.headViolation ?? 'passes'}`, async () => {
      const { text, errors } = await ask(validator(framework.app), 'HEAD /hello HTTP/1.1');
      if (framework.headViolation) {
        expect(text).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
        expect(errors.join('')).toContain(framework.headViolation);
      } else {
        expect(errors).toEqual([]);
      }
    });
  });
}

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
