/**
 * Part 1's exercises and their checks: `npm run exercise -- 1.1` runs one.
 *
 * Each check runs against the student's tree (or, in npm test and with
 * --solution, a temporary copy): socket checks start the tree's
 * webserver1b.ts (Part 1's server as the lesson leaves it) on a free port, or
 * talk to `--target HOST:PORT` (a server in any language); code checks import
 * the tree's webserver1b.ts or cli.ts and call it.
 * The reference solutions are in solutions/; the lesson does not show them.
 */
import type { Server } from 'node:net';
import { connect } from 'node:net';
import { once } from 'node:events';
import {
  ask,
  sameBytes,
  served,
  transcriptsAgree,
  withServer,
  type Served,
} from '../../scripts/exercises/checks.ts';
import { visible } from '../../scripts/lib/wire.ts';
import {
  expect,
  type CheckContext,
  type Exercise,
  type Hint,
} from '../../scripts/exercises/exercise.ts';

/** The step the exercises change: Part 1's server as the lesson leaves it. */
const FILE = 'part1/webserver1b.ts';
/** Where Part 1's steps read their options. */
const CLI = 'part1/cli.ts';

/** The Hello, World response of the course as shipped (webserver1b.ts's RESPONSE). */
const HELLO =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n' +
  'Connection: close\r\n\r\nHello, World!\n';

/** What exercise 1.1 asks for: the lesson's exercises section prints these bytes. */
const BAD_REQUEST =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n' +
  'Connection: close\r\n\r\nBad Request\n';

const GET = 'GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n';

type Listen = (port: number, host: string, log: (text: string) => void) => Promise<Server>;

/** Starts the tree's webserver1b.ts on a free port; `log` collects its lines. */
async function startPart1(ctx: CheckContext, log: string[] = []): Promise<Served> {
  const listen = await ctx.need<Listen>(FILE, 'listen', '(port, host, log)');
  return served(await listen(0, '127.0.0.1', (text) => log.push(text)));
}

/** 1.1's hints, by step; `course` ones name the course's files (never shown for --target). */
const hints400: Record<string, Hint[]> = {
  badRequest: [
    'The request line is the bytes before the first LF (drop a CR before it). Split it on ' +
      "spaces: 'Is anybody there?' also has three parts, so check that the last one looks " +
      'like HTTP/1.1 (RFC 9112 §2.3: "HTTP/" DIGIT "." DIGIT).',
    {
      course:
        'Write a function that takes the request bytes and returns the response to send, and ' +
        'call it where handleOneRequest sends RESPONSE.',
    },
  ],
  hello: [
    'Only a request line that is not METHOD SP TARGET SP HTTP/x.y gets the 400: ' +
      '"GET /hello HTTP/1.1" has three parts and ends in an HTTP version.',
  ],
  transcripts: [
    {
      course:
        'Two golden transcripts now expect the 400 (nonsense and half-close): give them their ' +
        'own "response" file in part1/transcripts/transcripts.json, then ' +
        'npm run record -- part1 nonsense half-close.',
    },
  ],
};

const answer400: Exercise = {
  id: '1.1',
  title: 'Answer 400 to nonsense',
  summary: 'parse the request line; answer 400 Bad Request when it is not METHOD TARGET HTTP/x.y',
  kind: 'socket',
  async check(ctx) {
    await withServer(
      ctx,
      () => startPart1(ctx),
      async (target) => {
        const nonsense = 'Is anybody there?\r\n\r\n';
        await ctx.step(
          'Is anybody there? gets 400 Bad Request',
          async () => sameBytes(await ask(target, nonsense), bytes(BAD_REQUEST), 'reply'),
          hints400.badRequest,
        );
        await ctx.step(
          'GET /hello HTTP/1.1 still gets Hello, World!',
          async () => sameBytes(await ask(target, GET), bytes(HELLO), 'reply to GET /hello'),
          hints400.hello,
        );
        if (ctx.target) return; // the transcripts are the course's, not the target's
        await ctx.step(
          'the golden transcripts hold what the server sends now',
          () => transcriptsAgree(ctx, 'part1', target),
          hints400.transcripts,
        );
      },
    );
  },
};

const UTC_STRING =
  'new Date().toUTCString() is the format RFC 9110 §5.6.7 wants: Sun, 06 Nov 1994 08:49:37 GMT.';

/** The Date example of RFC 9110 §5.6.7, the time 1.2's check passes to responseAt. */
const EXAMPLE_DATE = new Date('1994-11-06T08:49:37Z');

const dateHeader: Exercise = {
  id: '1.2',
  title: 'A Date header with a clock a test can set',
  summary:
    'export responseAt(now: Date) that adds Date: to the response; send responseAt(new Date())',
  kind: 'socket',
  async check(ctx) {
    await ctx.step(
      'responseAt(Sun, 06 Nov 1994 08:49:37 GMT) gives the exact bytes',
      async () => {
        const responseAt = await ctx.need<(now: Date) => Buffer>(FILE, 'responseAt', '(now: Date)');
        const expected = HELLO.replace('\r\n', '\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n');
        sameBytes(Buffer.from(responseAt(EXAMPLE_DATE)), bytes(expected), 'responseAt(...)');
      },
      [
        UTC_STRING,
        {
          course:
            'responseAt(now) returns the bytes of RESPONSE with "Date: ...\\r\\n" right after ' +
            'the status line. The server calls it with new Date(); a test calls it with a ' +
            'fixed date.',
        },
      ],
    );
    await withServer(
      ctx,
      () => startPart1(ctx),
      async (target) => {
        await ctx.step(
          'the server sends the time now in a Date field',
          async () => {
            const reply = (await ask(target, GET)).toString('latin1');
            const value = /^Date: (.*)\r$/m.exec(reply)?.[1];
            expect(value !== undefined, 'the response has no Date field', [visible(reply)]);
            const off = Math.abs(Date.parse(value!) - Date.now());
            // A minute: the clocks are the same machine's, so only a wrong time is further off.
            expect(off < 60_000, `Date: ${value} is not the time now (${off} ms off)`);
          },
          [UTC_STRING, 'Send the time at which you answer: compute it for each response.'],
        );
      },
    );
  },
};

const logClient: Exercise = {
  id: '1.3',
  title: "Log the client's address",
  summary: "log the client's ADDRESS:PORT when a connection arrives (before its request)",
  kind: 'code',
  async check(ctx) {
    const log: string[] = [];
    const server = await startPart1(ctx, log).catch((error: Error) => error);
    if (server instanceof Error) {
      await ctx.step('webserver1b.ts starts', () => Promise.reject(server));
      return;
    }
    try {
      await ctx.step(
        'a log line names the client as 127.0.0.1:PORT',
        async () => {
          const socket = connect(server.target);
          await once(socket, 'connect');
          const client = `127.0.0.1:${socket.localPort}`;
          socket.end(GET);
          socket.resume();
          await once(socket, 'close');
          const line = log.find((text) => text.includes(client));
          expect(line !== undefined, `no log line contains ${client}`, ['the log:', ...log]);
          expect(log.indexOf(line!) === 0, `${client} is logged after the request, not before`);
        },
        [
          'handleOneRequest in webserver1b.ts already computes `client` from ' +
            'connection.remoteAddress and connection.remotePort: pass it to log() as soon as ' +
            'the connection arrives.',
        ],
      );
    } finally {
      await server.close();
    }
  },
};

type ParseOptions = (args: string[]) => { port: number; host: string; idleTimeoutMs?: number };

const hintsTimeout = [
  'parseOptions, in part1/cli.ts, uses node:util parseArgs: add timeout: { type: "string" } ' +
    'to its options.',
  'Return idleTimeoutMs: seconds * 1000, IDLE_TIMEOUT_MS when --timeout is absent, and throw ' +
    'an Error that names --timeout for anything that is not a number above 0.',
  "main() passes it on: listen(port, host, log, idleTimeoutMs); webserver1b.ts's listen " +
    'takes it, so the Listen type takes it too.',
];

const timeoutOption: Exercise = {
  id: '1.4',
  title: 'A --timeout option',
  summary:
    'parseOptions (cli.ts) reads --timeout SECONDS into idleTimeoutMs (default 60 s); main uses it',
  kind: 'code',
  async check(ctx) {
    const hints = hintsTimeout;
    const parse = (args: string[]) =>
      ctx.need<ParseOptions>(CLI, 'parseOptions', '(args)').then((fn) => fn(args));
    await ctx.step(
      '--timeout 5 gives idleTimeoutMs 5000',
      async () => {
        const got = (await parse(['--timeout', '5'])).idleTimeoutMs;
        expect(got === 5000, `parseOptions(['--timeout', '5']).idleTimeoutMs is ${got}`);
      },
      hints,
    );
    await ctx.step(
      'no --timeout gives the default, 60000',
      async () => {
        const got = (await parse([])).idleTimeoutMs;
        expect(got === 60_000, `parseOptions([]).idleTimeoutMs is ${got}`);
      },
      hints.slice(1),
    );
    for (const bad of ['abc', '0', '-3']) {
      await ctx.step(
        `--timeout ${bad} is refused with a message naming --timeout`,
        async () => {
          const message = await parse(['--timeout', bad]).then(
            () => 'accepted',
            (error: Error) => error.message,
          );
          // parseArgs refuses an option it does not know: that is not the refusal asked for.
          const refused = message.includes('--timeout') && !/unknown option/i.test(message);
          expect(refused, `parseOptions(['--timeout', '${bad}']): ${message}`);
        },
        hints.slice(1, 2),
      );
    }
  },
};

const hintsHead: Hint[] = [
  'RFC 9110 §9.3.2: the server sends the same header fields as for GET (Content-Length ' +
    'included) but no content.',
  'Look at the method (the request line up to its first space) before you send.',
  {
    course:
      'The head ends at the first \\r\\n\\r\\n of RESPONSE: ' + 'RESPONSE.subarray(0, end + 4).',
  },
];

const head: Exercise = {
  id: '1.5',
  title: 'Answer HEAD without a body',
  summary: 'a HEAD request gets the same status line and header fields as GET, and no body',
  kind: 'socket',
  async check(ctx) {
    await withServer(
      ctx,
      () => startPart1(ctx),
      async (target) => {
        await ctx.step(
          'HEAD /hello HTTP/1.1 gets the head only',
          async () => {
            const reply = await ask(target, GET.replace('GET', 'HEAD'));
            sameBytes(reply, bytes(HELLO.slice(0, HELLO.indexOf('\r\n\r\n') + 4)), 'reply');
          },
          hintsHead,
        );
        await ctx.step(
          'GET /hello HTTP/1.1 still gets the body',
          async () => {
            sameBytes(await ask(target, GET), bytes(HELLO), 'reply to GET /hello');
          },
          ['Only HEAD loses the body: look at the method, not at the whole request.'],
        );
      },
    );
  },
};

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Part 1's exercises, in the order the lesson lists them. */
export const exercises: Exercise[] = [answer400, dateHeader, logClient, timeoutOption, head];
