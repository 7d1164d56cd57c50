/**
 * Part 2's exercises and their checks: `npm run exercise -- 2.1` runs one.
 *
 * Socket checks start the tree's webserver2.ts (makeServer) with one of its
 * apps on a free port and the tests' fixed clock, or talk to
 * `--target HOST:PORT` (then Date and Server are not compared: your server
 * has its own). Code checks import the tree's modules and call them without
 * a socket. The reference solutions are in solutions/; the lesson does not
 * show them.
 */
import type { Server } from 'node:net';
import type { Application, Environ } from '../gateway.ts';
import {
  ask,
  listenOnFreePort,
  sameBytes,
  served,
  transcriptsAgree,
  withServer,
  type Served,
} from '../../scripts/exercises/checks.ts';
import {
  CheckFailure,
  expect,
  type CheckContext,
  type Exercise,
  type Hint,
} from '../../scripts/exercises/exercise.ts';
import { maskHeaders } from '../../scripts/lib/compare.ts';
import { callApp, headerValue, makeEnviron } from '../../scripts/lib/harness.ts';
import { FIXED_DATE } from '../../scripts/lib/servers.ts';
import { visible } from '../../scripts/lib/wire.ts';

type MakeServer = (app: Application, options: object) => Server;

/** Starts the tree's makeServer with the app `spec` (`router`, `hello`) as the tests do. */
async function startPart2(ctx: CheckContext, app: string | Application): Promise<Served> {
  const makeServer = await ctx.need<MakeServer>('part2/webserver2.ts', 'makeServer', '(app)');
  const application = typeof app === 'string' ? await loadApp(ctx, app) : app;
  // The options of scripts/lib/servers.ts: the golden transcripts were recorded with them.
  const options = { clock: () => FIXED_DATE, serverName: 'localhost', serverPort: '8888' };
  return served(await listenOnFreePort(makeServer(application, { ...options, errors: () => {} })));
}

/** The export `app` of part2/apps/NAME.ts in the tree checked. */
async function loadApp(ctx: CheckContext, name: string): Promise<Application> {
  const app = (await ctx.load(`part2/apps/${name}.ts`)).app;
  if (typeof app !== 'function') throw new CheckFailure(`part2/apps/${name}.ts exports no app`);
  return app as Application;
}

/** Compares a response, ignoring Date and Server when the server is the student's own. */
function sameResponse(ctx: CheckContext, actual: Buffer, expected: string, what: string): void {
  const mask = ctx.target ? ['date', 'server'] : [];
  sameBytes(maskHeaders(actual, mask), maskHeaders(Buffer.from(expected, 'latin1'), mask), what);
}

/** A response of the course's server: the app's fields, then Date, Server, Connection. */
function response(status: string, fields: string[], body: string): string {
  const server = ['Date: Mon, 15 Jul 2019 05:54:48 GMT', 'Server: GatewayServer/0.2'];
  const head = [`HTTP/1.1 ${status}`, ...fields, ...server, 'Connection: close'];
  return `${head.join('\r\n')}\r\n\r\n${Buffer.from(body, 'utf8').toString('latin1')}`;
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

/** goodbye's hints, by step (`course`: about the course's files, not for --target). */
const goodbyeHints: Record<string, Hint[]> = {
  route: [
    'The name arrives percent-encoded (Ren%C3%A9): decode it, then read the bytes as UTF-8.',
    {
      course:
        'Copy the hello app and its row in the route table: ' +
        '[/^\\/goodbye\\/([^/]+)$/, goodbye].',
    },
  ],
  index: [
    {
      course:
        'The index page lists the routes: add "  /goodbye/NAME a farewell for NAME" to its lines.',
    },
  ],
  transcripts: [
    {
      course: 'The index page is a golden transcript: npm run record -- part2 router-index.',
    },
  ],
};

const goodbye: Exercise = {
  id: '2.1',
  title: 'Add a route',
  summary: "give apps/router.ts's demo site /goodbye/NAME, answering Goodbye, NAME!, and list it",
  kind: 'socket',
  async check(ctx) {
    const start = () => startPart2(ctx, 'router');
    await withServer(ctx, start, async (target) => {
      await ctx.step(
        'GET /goodbye/Ren%C3%A9 gets Goodbye, René!',
        async () => {
          const fields = ['Content-Type: text/plain; charset=utf-8', 'Content-Length: 16'];
          const expected = response('200 OK', fields, 'Goodbye, René!\n');
          sameResponse(ctx, await ask(target, GET('/goodbye/Ren%C3%A9')), expected, 'reply');
        },
        goodbyeHints.route,
      );
      await ctx.step(
        'the index page lists /goodbye/NAME',
        async () => {
          const reply = (await ask(target, GET('/'))).toString('latin1');
          expect(reply.includes('/goodbye/NAME'), 'GET / does not mention /goodbye/NAME', [
            visible(reply),
          ]);
        },
        goodbyeHints.index,
      );
      if (ctx.target) return;
      await ctx.step(
        "the router's golden transcripts hold what it sends now",
        () => transcriptsAgree(ctx, 'part2', target, (transcript) => transcript.app === 'router'),
        goodbyeHints.transcripts,
      );
    });
  },
};

type Middleware = (app: Application) => Application;

/** The app of part2/apps/hello.ts, as the course ships it. */
const hello: Application = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [Buffer.from('Hello world from a simple gateway application!\n')];
};

/** timed's hints, by step (`course`: about the course's files, not for --target). */
const timedHints: Record<string, Hint[]> = {
  wrap: [
    'A middleware is an application that calls an application: return (environ, ' +
      'startResponse) => app(environ, myStartResponse).',
  ],
  field: [
    'myStartResponse(status, headers, excInfo) adds ["X-Response-Time", `${ms}ms`] to a copy ' +
      'of headers and calls the real startResponse. performance.now() measures in ms.',
  ],
  unchanged: [
    'Pass status, fields (a copy, with yours added) and excInfo on; return the body the app ' +
      'returned.',
  ],
};

const timed: Exercise = {
  id: '2.2',
  title: 'A middleware: time each request',
  summary: 'write timed(app) in apps/timed.ts: adds X-Response-Time: Nms, changes nothing else',
  kind: 'code',
  async check(ctx) {
    const wrap = await ctx.step(
      'part2/apps/timed.ts exports timed(app)',
      async () => {
        await ctx.need<Middleware>(
          'part2/apps/timed.ts',
          'timed',
          '(app: Application): Application',
        );
      },
      [...timedHints.wrap!, ...timedHints.field!],
    );
    if (!wrap) return;
    const timedOf = (await ctx.load('part2/apps/timed.ts')).timed as Middleware;
    await ctx.step(
      'timed(hello) adds X-Response-Time: Nms',
      async () => {
        const { headers } = await callApp(timedOf(hello));
        const value = headerValue(headers, 'X-Response-Time');
        expect(value !== undefined, 'no X-Response-Time field', [JSON.stringify(headers)]);
        expect(/^\d+(\.\d+)?ms$/.test(value!), `X-Response-Time: ${value} is not like 3ms`);
      },
      timedHints.field,
    );
    await ctx.step(
      'status, other fields and body are what hello sent',
      async () => {
        const plain = await callApp(hello);
        const got = await callApp(timedOf(hello));
        const others = got.headers.filter(([name]) => name.toLowerCase() !== 'x-response-time');
        expect(got.status === plain.status, `status ${got.status}, expected ${plain.status}`);
        expect(JSON.stringify(others) === JSON.stringify(plain.headers), 'other fields changed', [
          JSON.stringify(others),
        ]);
        sameBytes(got.body, plain.body, 'body');
      },
      timedHints.unchanged,
    );
  },
};

/** contentLength's hints, by step (`course`: about the course's files, not for --target). */
const contentLengthHints: Record<string, Hint[]> = {
  oneChunk: [
    'PEP 3333, "Handling the Content-Length Header": when the body is a list of exactly one ' +
      'chunk and the app sent no Content-Length, the server may add it.',
    {
      course:
        'finishResponse in handler.ts gets the body after the app called startResponse: ' +
        "push ['Content-Length', String(chunk.length)] onto handler.headers before the head " +
        'goes out.',
    },
  ],
  transcripts: [
    {
      course:
        'Several golden transcripts change (hello, ...): npm run record -- part2 --all ' +
        '--check shows which, npm run record -- part2 --all writes them.',
    },
  ],
  generator: [
    'Only a list (Array.isArray) of exactly one chunk has a length known before it is sent.',
  ],
};

const contentLength: Exercise = {
  id: '2.3',
  title: 'A response header rule: Content-Length for one chunk',
  summary: 'as wsgiref: a body that is a list of one chunk, without Content-Length, gets one',
  kind: 'socket',
  async check(ctx) {
    const hello = () => startPart2(ctx, 'hello');
    await withServer(ctx, hello, async (target) => {
      await ctx.step(
        'hello (one chunk, no Content-Length) gets Content-Length: 47',
        async () => {
          const fields = ['Content-Type: text/plain', 'Content-Length: 47'];
          const expected = response('200 OK', fields, HELLO_BODY);
          sameResponse(ctx, await ask(target, GET('/hello')), expected, 'reply');
        },
        contentLengthHints.oneChunk,
      );
    });
    if (ctx.target) return;
    await withServer(ctx, hello, async (target) => {
      await ctx.step(
        "hello's golden transcripts hold what it sends now",
        () => transcriptsAgree(ctx, 'part2', target, (transcript) => transcript.app === 'hello'),
        contentLengthHints.transcripts,
      );
    });
    await withServer(
      ctx,
      () => startPart2(ctx, streamed),
      async (target) => {
        await ctx.step(
          'a generator body still gets no Content-Length',
          async () => {
            const expected = response('200 OK', ['Content-Type: text/plain'], 'a\nb\n');
            sameResponse(ctx, await ask(target, GET('/')), expected, 'reply');
          },
          contentLengthHints.generator,
        );
      },
    );
  },
};

const HELLO_BODY = 'Hello world from a simple gateway application!\n';

/** An app whose body is a generator: its length is unknown until it is sent. */
const streamed: Application = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return (function* () {
    yield Buffer.from('a\n');
    yield Buffer.from('b\n');
  })();
};

/** unknownMethod's hints, by step (`course`: about the course's files, not for --target). */
const METHODS_HINT =
  'RFC 9110 §9.1: a server that does not recognise a method SHOULD answer 501. The methods it ' +
  'defines: GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE, and PATCH (RFC 5789).';

const unknownMethodHints: Record<string, Hint[]> = {
  brew: [
    METHODS_HINT,
    {
      course:
        'parseRequestLine in http.ts already throws HttpError(400, ...) for a method that ' +
        'is not a token: throw HttpError(501, reason) for one not in your list.',
    },
  ],
};

const unknownMethod: Exercise = {
  id: '2.4',
  title: 'Refuse a method nobody knows',
  summary: 'answer 501 Not Implemented to a method other than GET HEAD POST PUT DELETE ...',
  kind: 'socket',
  async check(ctx) {
    await withServer(
      ctx,
      () => startPart2(ctx, 'hello'),
      async (target) => {
        await ctx.step(
          'BREW /pot HTTP/1.1 gets 501 Not Implemented',
          async () => {
            const reply = await ask(target, 'BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n');
            const statusLine = reply.subarray(0, reply.indexOf('\r\n') + 2);
            sameBytes(statusLine, Buffer.from('HTTP/1.1 501 Not Implemented\r\n'), 'status line');
          },
          unknownMethodHints.brew,
        );
        await ctx.step(
          'PATCH /hello HTTP/1.1 still reaches the app',
          async () => {
            const reply = await ask(target, 'PATCH /hello HTTP/1.1\r\nHost: localhost\r\n\r\n');
            const statusLine = reply.subarray(0, reply.indexOf('\r\n') + 2);
            sameBytes(statusLine, Buffer.from('HTTP/1.1 200 OK\r\n'), 'status line');
          },
          [METHODS_HINT],
        );
      },
    );
  },
};

/** The environ an app inside `middleware` sees for a request with `overrides`. */
async function environSeen(
  middleware: Middleware,
  overrides: Record<string, string>,
): Promise<Environ> {
  let environ: Environ | undefined;
  const inner: Application = (env, startResponse) => {
    environ = { ...env };
    return hello(env, startResponse);
  };
  await callApp(middleware(inner), makeEnviron(overrides));
  return environ!;
}

/** proxied's hints, by step (`course`: about the course's files, not for --target). */
const proxiedHints: Record<string, Hint[]> = {
  middleware: [
    'A middleware may change environ before it calls the app (PEP 3333, "Middleware"). ' +
      'X-Forwarded-For arrives as environ.HTTP_X_FORWARDED_FOR.',
  ],
  fields: [
    'X-Forwarded-For is a list, "client, proxy1, proxy2": the client is the first entry ' +
      '(strip the spaces and tabs around it, stripOws in http.ts; never trim(), which strips ' +
      'more than the grammar allows). X-Forwarded-Proto is http or https.',
  ],
  untouched: [
    'Change environ only when the field is there: without it, the values the server set stand.',
  ],
};

const proxied: Exercise = {
  id: '2.5',
  title: 'A middleware on the request side: behind a proxy',
  summary:
    'write proxied(app) in apps/proxied.ts: X-Forwarded-For/-Proto set REMOTE_ADDR, url_scheme',
  kind: 'code',
  async check(ctx) {
    const ok = await ctx.step(
      'part2/apps/proxied.ts exports proxied(app)',
      async () => {
        await ctx.need<Middleware>('part2/apps/proxied.ts', 'proxied', '(app: Application)');
      },
      [...proxiedHints.middleware!, ...proxiedHints.fields!],
    );
    if (!ok) return;
    const proxiedOf = (await ctx.load('part2/apps/proxied.ts')).proxied as Middleware;
    const seen = (overrides: Record<string, string>) => environSeen(proxiedOf, overrides);
    await ctx.step(
      'X-Forwarded-For: 203.0.113.7, 10.0.0.1 gives REMOTE_ADDR 203.0.113.7',
      async () => {
        const got = (await seen({ HTTP_X_FORWARDED_FOR: '203.0.113.7, 10.0.0.1' })).REMOTE_ADDR;
        expect(got === '203.0.113.7', `the app saw REMOTE_ADDR ${JSON.stringify(got)}`);
      },
      proxiedHints.fields,
    );
    await ctx.step(
      'X-Forwarded-Proto: https gives wsgi.url_scheme https',
      async () => {
        const got = (await seen({ HTTP_X_FORWARDED_PROTO: 'https' }))['wsgi.url_scheme'];
        expect(got === 'https', `the app saw wsgi.url_scheme ${JSON.stringify(got)}`);
      },
      proxiedHints.fields,
    );
    await ctx.step(
      'without those fields, environ is left alone',
      async () => {
        const got = await seen({});
        const same = got.REMOTE_ADDR === '127.0.0.1' && got['wsgi.url_scheme'] === 'http';
        expect(same, `REMOTE_ADDR ${got.REMOTE_ADDR}, wsgi.url_scheme ${got['wsgi.url_scheme']}`);
      },
      proxiedHints.untouched,
    );
  },
};

/** Part 2's exercises, in the order the lesson lists them. */
export const exercises: Exercise[] = [goodbye, timed, contentLength, unknownMethod, proxied];
