/**
 * Part 3's plumbing: what every step does the same way, written once, so
 * that each step file holds its lesson and `npm run diff` between two steps
 * shows exactly that lesson.
 *
 * - For a connection (3a on): read the request head within its limits, send,
 *   close without losing the response (Part 1's limits and lingering close).
 * - For a program: read the command line, open the listening socket and say
 *   why when it cannot be opened, run only when the file is the program.
 * - For the hand-over (3c on): start a child running the step's own file,
 *   pass it the connection over the IPC channel, and the child's side of that.
 *
 * The original's steps repeat all this in every file; the lessons show each
 * piece where it first matters (the README for reading and closing, 01-fork
 * for the hand-over).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type ServerOpts, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadApplication } from '../part2/loader.ts';
import type { ServerOptions } from '../part2/server.ts';
// Every import of Part 3 from Part 1, in one place.
import {
  endOfHead,
  explainListenError,
  IDLE_TIMEOUT_MS,
  lingeringClose,
  MAX_REQUEST_BYTES,
  mayStillSend,
} from '../part1/connection.ts';
import { RESPONSE } from '../part1/webserver1.ts';

export { explainListenError, RESPONSE };
/** Part 2's server options (part2/server.ts), as 3h and 3i pass them on. */
export type { ServerOptions };

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';
/** How long a step waits for a silent client, in ms: Part 1's, or LSBAWS_IDLE_TIMEOUT_MS. */
const IDLE_MS = Number(process.env.LSBAWS_IDLE_TIMEOUT_MS ?? IDLE_TIMEOUT_MS);

// #region read-request
/**
 * Reads the request head: every byte up to the blank line that ends it
 * (Part 1's endOfHead), the end of the stream (a half-close, `nc -N`), or
 * MAX_REQUEST_BYTES, whichever comes first. TCP is a byte stream, so one
 * read may hold half a line. Resolves with the bytes read: none when the
 * client left, or stayed silent for IDLE_TIMEOUT_MS.
 */
export function readRequest(connection: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    let request = Buffer.alloc(0);
    function done(): void {
      connection.pause();
      connection.setTimeout(0);
      connection.off('data', onData).off('end', done).off('close', done);
      resolve(request);
    }
    function onData(chunk: Buffer): void {
      request = Buffer.concat([request, chunk]);
      if (endOfHead(request) !== -1 || request.length >= MAX_REQUEST_BYTES) done();
    }
    connection.setTimeout(IDLE_MS, () => {
      request = Buffer.alloc(0); // a silent client gets no answer, only the close
      done();
    });
    connection.on('data', onData).on('end', done).on('close', done);
    connection.resume(); // paused since it was accepted (pauseOnConnect)
  });
}
// #endregion

/**
 * Writes `bytes`; resolves when the kernel has them, or when the write failed
 * (the 'error' listener says why).
 */
export function send(connection: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => connection.write(bytes, () => resolve()));
}

/** The 'error' listener every connection has: a reset ends its connection, never the server. */
export function dropOnError(connection: Socket): void {
  connection.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`${error.code ?? error.message}: connection dropped`);
  });
}

// #region close-connection
/**
 * Closes our descriptor of the connection that sent `request`: close(2), as
 * the original's client_connection.close(). Not end(): end() calls
 * shutdown(2) first, and shutdown sends the client a FIN however many
 * processes still hold the socket. From 3c on, parent and child hold it
 * together, and 3d is about what happens when only close(2) is called.
 * Only a client that may still be sending (more than a head, or a body on
 * its way) gets Part 1's lingering close first: close(2) with its bytes
 * unread would answer them with RST, which can wipe out our response.
 */
export function closeConnection(connection: Socket, request: Buffer): void {
  const linger = request.length > 0 && mayStillSend(request, connection.readableEnded);
  if (linger)
    lingeringClose(connection, true); // FIN, then read and drop, bounded
  else connection.destroy();
}
// #endregion

// #region listen
/**
 * Creates the listening socket on `host`:`port` with a queue of `backlog`
 * connections, and resolves with the server once it listens. Rejects with
 * the system error (EADDRINUSE, ...).
 */
export function listen(
  port: number,
  host: string,
  backlog: number,
  options: ServerOpts = {},
): Promise<Server> {
  // allowHalfOpen: a client that shuts down its sending side (nc -N) can still read our answer.
  // pauseOnConnect: read nothing until the connection is served (from 3c on: by the child).
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, ...options });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog }, () => {
      server.off('error', reject);
      // From now on an 'error' is accept() failing, e.g. EMFILE (too many open
      // files). The listening socket still works: say so, and go on.
      server.on('error', (error: NodeJS.ErrnoException) => {
        console.error(`accept: ${error.code ?? error.message}, a connection was dropped`);
      });
      resolve(server);
    });
  });
}
// #endregion

/**
 * main()'s start: listen() on `host`:`port`, then print the banner with the
 * port (`Serving HTTP on port 8888 ...`, after `name: ` if given). Warns
 * before listening on every interface; exits 1 with one line a student can
 * act on when it cannot listen. `noDelay` is passed to net.createServer.
 */
export async function listenOrExit(
  port: number,
  host: string,
  backlog: number,
  { noDelay = false, name = '' } = {},
): Promise<Server> {
  warnOnEveryInterface(host);
  try {
    const server = await listen(port, host, backlog, { noDelay });
    const address = server.address() as { port: number };
    console.log(`${name ? `${name}: ` : ''}Serving HTTP on port ${address.port} ...`);
    return server;
  } catch (error) {
    console.error(explainListenError(error as NodeJS.ErrnoException, port, host));
    process.exit(1);
  }
}

/** Warns before a server listens on every network interface (`--host 0.0.0.0`, a classroom). */
export function warnOnEveryInterface(host: string): void {
  if (host !== '0.0.0.0' && host !== '::') return;
  const who = 'anyone who can reach this machine can connect';
  console.error(`Warning: listening on every network interface (${host}): ${who}.`);
}

// #region options
/** The options every step takes, for parseArgs: `--port N`, `--host H`. */
export const PORT_AND_HOST = { port: { type: 'string' }, host: { type: 'string' } } as const;

/** `--port` and `--host` from parseArgs' values. @throws Error with one line on a bad port. */
export function portAndHost(values: { port?: string; host?: string }): {
  port: number;
  host: string;
} {
  return { port: portNumber(values.port), host: values.host ?? DEFAULT_HOST };
}

/** `--port N`: 0 to 65535, DEFAULT_PORT when absent. @throws Error with one line. */
function portNumber(value: string | undefined): number {
  const port = Number(value ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, not '${value}'`);
  }
  return port;
}

/** `--NAME SECONDS`: 0 or more, `fallback` when absent. @throws Error naming the option. */
export function seconds(value: string | undefined, name: string, fallback: number): number {
  const seconds = Number(value ?? fallback);
  if (!(seconds >= 0))
    throw new Error(`--${name} must be a number of seconds, 0 or more, not '${value}'`);
  return seconds;
}

/** `--NAME N`: a whole number, 1 or more, `fallback` when absent. @throws Error naming it. */
export function count(value: string | undefined, name: string, fallback: number): number {
  const count = Number(value ?? fallback);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`--${name} must be a whole number, 1 or more, not '${value}'`);
  return count;
}

/** The one positional argument of 3h and 3i, MODULE:EXPORT. @throws Error saying what to give. */
export function applicationSpec(positionals: string[], step: string): string {
  if (positionals.length === 1) return positionals[0]!;
  const example = `npm run part3 -- ${step} hello`;
  throw new Error(`Provide a gateway application as module:export (e.g. ${example})`);
}

/**
 * One row of a step's option table, `--NAME` (camelCase in the table:
 * `maxChildren` is `--max-children`): how parseArgs reads it, and what its
 * value is. A table holds one option a line, so a step that adds an option
 * adds one line. 3a, 3b and 3i spell their parseArgs out instead.
 */
export interface Option<T> {
  type: 'string' | 'boolean' | 'positional';
  /** The value from what parseArgs read (undefined: absent). @throws Error naming the option. */
  value: (given: string | boolean | string[] | undefined, name: string) => T;
}

/** What a table reads into: `{ port: number, host: string, sleep: number, ... }`. */
export type OptionValues<Table> = {
  [Name in keyof Table]: Table[Name] extends Option<infer T> ? T : never;
};

/** Every step's first two rows: `--port N` (8888), `--host H` (localhost). */
export const PORT_AND_HOST_ROWS = {
  port: { type: 'string', value: (given) => portNumber(given as string | undefined) },
  host: { type: 'string', value: (given) => (given as string | undefined) ?? DEFAULT_HOST },
} satisfies Record<string, Option<unknown>>;

/** A row `--NAME SECONDS`, 0 or more (see seconds), `fallback` when absent. */
export function secondsRow(fallback: number): Option<number> {
  return { type: 'string', value: (given, name) => seconds(given as string, name, fallback) };
}

/** A row `--NAME N`, a whole number of 1 or more (see count), `fallback` when absent. */
export function countRow(fallback: number): Option<number> {
  return { type: 'string', value: (given, name) => count(given as string, name, fallback) };
}

/** A row `--NAME`, present or not: `--child` (set by the parent), `--quiet`. */
export const FLAG_ROW: Option<boolean> = { type: 'boolean', value: (given) => given === true };

/** The row of 3h's MODULE:EXPORT, its one positional argument (see applicationSpec). */
export function applicationRow(step: string): Option<string> {
  return { type: 'positional', value: (given) => applicationSpec(given as string[], step) };
}

/** Reads `args` with an option `table`. @throws Error with a one-line message on bad input. */
export function parseTable<Table extends Record<string, Option<unknown>>>(
  table: Table,
  args: string[],
): OptionValues<Table> {
  const rows = Object.entries(table).map(([key, row]) => {
    return { key, row, name: key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`) };
  });
  const named = rows.filter(({ row }) => row.type !== 'positional');
  const options = Object.fromEntries(named.map(({ name, row }) => [name, { type: row.type }]));
  const allowPositionals = named.length < rows.length;
  const { values, positionals } = parseArgs({ args, options, allowPositionals } as ParseArgsConfig);
  const value = ({ name, row }: (typeof rows)[number]) =>
    row.value(row.type === 'positional' ? positionals : (values[name] as string | boolean), name);
  return Object.fromEntries(rows.map((entry) => [entry.key, value(entry)])) as OptionValues<Table>;
}

/** Reads this process's command line with `parse`; on bad input prints its one line and exits 2. */
export function optionsOrExit<T>(parse: (args: string[]) => T): T {
  try {
    return parse(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}
// #endregion

/** Whether the module at `url` (its import.meta.url) is the program, not imported by a test. */
export function isProgram(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

// #region main
/**
 * The main() of a step that forks (3c-3g), run only when `url` (the step's
 * import.meta.url) is the program, not when a test imports the step. Reads
 * the command line with the step's option `table` (bad input: one line, exit
 * 2). A child (`--child`, set by the parent) runs `step.serveChild`; the
 * parent listens on --host:--port with a queue of `backlog` connections and
 * runs `step.serveForever` (cannot listen: one line, exit 1).
 */
export async function main<Table extends Record<string, Option<unknown>>>(
  url: string,
  table: Table,
  backlog: number,
  step: {
    serveForever: (server: Server, options: OptionValues<Table>) => void;
    serveChild: (options: OptionValues<Table>) => void;
  },
): Promise<void> {
  if (!isProgram(url)) return;
  const options = optionsOrExit((args) => parseTable(table, args));
  const { port, host, child } = options as { port: number; host: string; child?: boolean };
  if (child) return step.serveChild(options);
  step.serveForever(await listenOrExit(port, host, backlog), options);
}
// #endregion

// #region fork-child
/**
 * The children's environment: ours, less NODE_EXTRA_CA_CERTS. A child that
 * serves plain HTTP makes no TLS connection, and Node 20 reads and parses
 * that file of CA certificates at every start-up, before a line of ours
 * runs: where it is set, it doubles what a child costs (part3/NOTES.md).
 * Plus NODE_COMPILE_CACHE, unless it is set (Node docs, module compile
 * cache; Node 22.1 on, older Nodes ignore it): the first child stores V8's
 * compiled code of the step and the application in that folder, and the
 * next ones read it back instead of compiling again (about a tenth of a
 * child's CPU on Node 24, part3/lessons/03-gateway.md).
 */
const { NODE_EXTRA_CA_CERTS: _certificates, ...inherited } = process.env;
const COMPILE_CACHE = join(tmpdir(), 'lsbaws-compile-cache');
const CHILD_ENV = { NODE_COMPILE_CACHE: COMPILE_CACHE, ...inherited };

/**
 * Starts a child process running this program's own file (process.argv[1],
 * the step) with `--child` and this program's own arguments: `--child` plays
 * the part of the original's `if pid == 0`, and the child reads the options
 * the parent read (--sleep, the application), as a child of fork(2) has them
 * in the memory it copied. Through `npm run part3` the file is plain
 * JavaScript, bundled by scripts/part3.ts, and the child starts without a
 * loader (`execArgv: []`; by default a child inherits the parent's Node
 * flags); run from its TypeScript source, the child needs tsx's loader too,
 * and pays for it in time and memory. When fork fails (EAGAIN: too many
 * processes; EMFILE: too many open files), Node emits 'error' instead of
 * 'spawn': the connection is dropped and the server goes on.
 */
export function forkChild(connection: Socket): ChildProcess {
  const [file, ...args] = process.argv.slice(1) as [string, ...string[]];
  const execArgv = file.endsWith('.ts') ? process.execArgv : [];
  const stdio = ['ignore', 'inherit', 'inherit', 'ipc'] as const;
  const child = fork(file, ['--child', ...args], { execArgv, env: CHILD_ENV, stdio: [...stdio] });
  child.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`fork: ${error.code ?? error.message}, a connection was dropped`);
    connection.destroy();
  });
  return child;
}
// #endregion

/**
 * How long a child may take to start and take its connection, in ms: the
 * parent kills a child that has not taken it by then, and a child that has
 * had no connection by then exits. A start costs 30-60 ms of CPU on a
 * quiet machine and 100-200 ms on a busy one (part3/NOTES.md), and 3f
 * starts a child for every connection at once: client3's 1024 need some
 * 25 s of two cores' time before the last is ready, on a quiet machine. A
 * minute leaves room for that. Tests set LSBAWS_HANDOVER_TIMEOUT_MS
 * to watch it happen.
 */
export const HANDOVER_TIMEOUT_MS = Number(process.env.LSBAWS_HANDOVER_TIMEOUT_MS ?? 60_000);

// #region pass-connection
/**
 * Passes `connection` to `child` over the IPC channel, in three messages:
 * the child says 'ready' once it listens, the parent sends the connection,
 * the child says 'received'. subprocess.send passes the descriptor itself
 * (SCM_RIGHTS over the Unix socket fork() set up): the child owns the same
 * TCP connection. Closing the parent's copy is the caller's part (3c, 3d).
 *
 * Why wait for 'ready'. Node keeps a message that reaches a child before its
 * code listens (lib/internal/child_process.js, kPendingMessages; a child
 * that loads an ES module listens late), but makes the socket in it at
 * once, and the socket starts reading. A client that had closed without a
 * byte ended it, and one that reset destroyed it, before anyone listened:
 * that child waited for an 'end' that had come and gone, for ever, and
 * this one died of an unhandled 'error'. Sent after 'ready', the socket
 * reaches the child's listener in the turn of the event loop that makes it.
 *
 * A child that has not taken its connection within HANDOVER_TIMEOUT_MS
 * (stuck, stopped) is killed, and libuv reaps it like any other.
 */
export function passConnection(child: ChildProcess, connection: Socket): void {
  const deadline = setTimeout(() => {
    console.error(
      `Child ${child.pid} did not take its connection within ${HANDOVER_TIMEOUT_MS} ms: killed`,
    );
    child.kill('SIGKILL');
  }, HANDOVER_TIMEOUT_MS);
  child.on('message', (message) => {
    // Node docs, subprocess.send(message, sendHandle, { keepOpen }): keepOpen
    // true leaves our copy of the socket open. With false, Node would close
    // it once the child acknowledges receipt, but if the child dies before
    // that, Node 20 never closes it and the client hangs for good
    // (lib/internal/child_process.js waits for an ACK that never comes).
    if (message === 'ready') {
      child.send('connection', connection, { keepOpen: true }, (error) => {
        if (error) connection.destroy(); // the child died before it got the connection
      });
    }
    if (message === 'received') clearTimeout(deadline);
  });
  child.once('exit', () => clearTimeout(deadline));
  child.once('error', () => clearTimeout(deadline)); // fork failed: no 'exit' will come
}
// #endregion

// #region receive-connection
/**
 * The child's side of passConnection: once `ready` has settled (the child's
 * code is loaded), ask for the connection; when it comes, say 'received' and
 * `serve` it, then exit (the original's os._exit(0)). A child that gets no
 * connection has nothing to serve, and exits.
 */
export function receiveConnection(
  serve: (connection: Socket) => Promise<void>,
  ready: Promise<unknown> = Promise.resolve(),
): void {
  let received = false;
  process.once('message', async (message: unknown, connection?: Socket) => {
    if (message !== 'connection' || !connection) process.exit(1);
    received = true;
    // The parent closes its copy when it hears this (if it has gone, no matter).
    process.send!('received', undefined, {}, () => {});
    // As in the parent's server: a half-closed client (nc -N) still gets its answer.
    connection.allowHalfOpen = true;
    await serve(connection);
    process.exit(0);
  });
  void ready.then(() => process.connected && process.send!('ready', undefined, {}, () => {}));
  setTimeout(() => received || process.exit(1), HANDOVER_TIMEOUT_MS).unref();
  // If the parent dies while the connection is on its way, Node may drop the
  // message (one still pending when the channel closes is never emitted),
  // yet keep the socket it has made of the descriptor, which would keep this
  // child alive for ever. With no connection to serve, there is nothing to wait for.
  const orphaned = () => received || process.exit(1);
  if (process.connected) process.once('disconnect', orphaned);
  else orphaned();
}
// #endregion

/** Loads the application `spec` names, or prints why it cannot and exits 2 (3h, 3i). */
export async function loadOrExit(spec: string): Promise<void> {
  try {
    await loadApplication(spec);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}

// #region fixed-date
/**
 * Part 2's server options a test sets from the environment (3h, 3i). Part 2's
 * tests pass a fixed clock to the server function; a test of these servers
 * talks to another process, so it sets LSBAWS_FIXED_DATE (an ISO date) and
 * every response says that date, byte for byte repeatable. Without it, the
 * real time. LSBAWS_REQUEST_TIMEOUT_MS: a test's silent client is dropped
 * (408) without waiting Part 2's 30 s.
 */
function gatewayOptionsFromEnvironment(): Pick<ServerOptions, 'clock' | 'requestTimeoutMs'> {
  const fixed = process.env.LSBAWS_FIXED_DATE;
  const timeout = process.env.LSBAWS_REQUEST_TIMEOUT_MS;
  return {
    ...(fixed ? { clock: () => new Date(fixed) } : {}),
    ...(timeout ? { requestTimeoutMs: Number(timeout) } : {}),
  };
}
// #endregion

/**
 * The options 3h and 3i give Part 2's server: the host as SERVER_NAME,
 * wsgi.multiprocess (other processes run the same application at the same
 * time, PEP 3333), the request log unless `quiet`, and the test settings.
 */
export function gatewayOptions(host: string, quiet: boolean): ServerOptions {
  const log = quiet ? {} : { log: (line: string) => console.log(line) };
  return { serverName: host, multiprocess: true, ...log, ...gatewayOptionsFromEnvironment() };
}
