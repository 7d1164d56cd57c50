/**
 * Part 3, step 3e: zombies. A zombie is a child that has exited and that its
 * parent has not yet waited for.
 *
 * The TypeScript rendition of lsbaws part3/webserver3e.py. Changed since 3d:
 * the parent closes its copy of each connection again (as 3c does), and
 * after handing a connection over it is busy for --busy seconds (30): it
 * blocks, as 3b did.
 *
 * When a process exits, the kernel keeps a little of it: its process id and
 * its exit status, until its parent collects them with wait(2) or waitpid(2).
 * Until then it is a zombie: `Z` in ps, `<defunct>` after its name. It holds
 * no memory and no CPU, only a slot in the process table, and those run out
 * (ulimit -u, kernel.pid_max): then fork() fails with EAGAIN. The original's
 * parent never waits, so each child it has served stays a zombie for as long
 * as the server runs.
 *
 * A Node parent cannot forget to wait: libuv waits for every child it has
 * started. On SIGCHLD its signal handler only writes a few bytes to a pipe
 * (libuv src/unix/signal.c); the event loop reads them and calls
 * waitpid(pid, WNOHANG) for each of its children (src/unix/process.c,
 * uv__chld; Node 20 has libuv 1.46). So a child of Node is a zombie only
 * until its parent's event loop next gets a turn, usually microseconds. To
 * let you see one, this parent keeps its loop busy for --busy seconds after
 * each hand-over, standing in for a parent that never gets round to waiting.
 * Our code does not wait either: there is no 'exit' listener.
 *
 * See it:   npm run part3 -- 3e
 *           curl http://localhost:8888/hello
 *           ps -o pid,ppid,stat,cmd --ppid PARENT_PID    within 30 seconds: the
 *              child, STAT Z, CMD [node] <defunct>; after them, nothing: libuv
 *              has reaped it. With --busy 0 you will not catch it.
 * Options:  --port N (8888)  --host H (localhost)  --sleep SECONDS (0)  --busy SECONDS (30)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { endOfHead, explainListenError, IDLE_TIMEOUT_MS, lingeringClose, MAX_REQUEST_BYTES, mayStillSend } from '../part1/connection.ts'; import { RESPONSE } from '../part1/webserver1.ts';

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';
/** How long handle_request sleeps after each response, in seconds: the original's 3e does not. */
export const DEFAULT_SLEEP_SECONDS = 0;
/** How long the parent blocks after handing over a connection, in seconds: long enough to type a ps command. */
export const DEFAULT_BUSY_SECONDS = 30;
/**
 * How many connections the kernel completes and holds for us while we are
 * not accepting (Linux caps it at net.core.somaxconn). Larger than 3b's 5:
 * a forking server is meant for bursts of clients, and client3 opens 1024
 * connections at once.
 */
export const REQUEST_QUEUE_SIZE = 1024;

// #region this-file
/**
 * The file every child runs: this one. Through `npm run part3` it is plain
 * JavaScript, bundled by scripts/part3.ts, and the children start without a
 * loader (`execArgv: []`; by default a child inherits the parent's Node
 * flags). Run from its TypeScript source (`npx tsx part3/webserver3c.ts`),
 * the children need tsx's loader too, and pay for it in time and memory.
 */
const THIS_FILE = fileURLToPath(import.meta.url);
const CHILD_EXEC_ARGV = THIS_FILE.endsWith('.ts') ? process.execArgv : [];
/**
 * The children's environment: ours, less NODE_EXTRA_CA_CERTS. A child that
 * serves plain HTTP makes no TLS connection, and Node 20 reads and parses
 * that file of CA certificates at every start-up, before a line of ours
 * runs: where it is set, it doubles what a child costs (part3/NOTES.md).
 */
const { NODE_EXTRA_CA_CERTS: _certificates, ...CHILD_ENV } = process.env;
// #endregion
/**
 * How long a child may take to start and take its connection, in ms: the
 * parent kills a child that has not taken it by then, and a child that has
 * had no connection by then exits. A start costs 30-60 ms of CPU
 * (part3/NOTES.md), but 3f starts a child for every connection at once:
 * client3's 1024 need some 25 s of two cores' time before the last is
 * ready. A minute leaves room for that. Tests set LSBAWS_HANDOVER_TIMEOUT_MS
 * to watch it happen.
 */
export const HANDOVER_TIMEOUT_MS = Number(process.env.LSBAWS_HANDOVER_TIMEOUT_MS ?? 60_000);
/** How long a child waits for a silent client, in ms: Part 1's IDLE_TIMEOUT_MS, or LSBAWS_IDLE_TIMEOUT_MS (tests). */
const IDLE_MS = Number(process.env.LSBAWS_IDLE_TIMEOUT_MS ?? IDLE_TIMEOUT_MS);

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept().
 */
export function serveForever(server: Server, sleepSeconds: number, busySeconds: number): void {
  server.on('connection', (connection) => {
    // The parent never reads or writes this socket; the listener is there because every socket has one.
    connection.on('error', (error: NodeJS.ErrnoException) => console.error(`${error.code ?? error.message}: connection dropped`));
    const child = forkChild(['--sleep', String(sleepSeconds)], connection);
    sendConnection(child, connection, busySeconds);
  });
}
// #endregion

// #region send-connection
/**
 * Hands `connection` to `child` over the IPC channel, in three messages:
 * the child says 'ready' once it listens, the parent sends the connection,
 * the child says 'received'. Then the parent closes its copy.
 *
 * Why wait for 'ready'. Node keeps a message that reaches a child before its
 * code listens (lib/internal/child_process.js, kPendingMessages; a child
 * that loads an ES module listens late), but makes the socket in it at
 * once, and the socket starts reading. A client that had closed without a
 * byte (a port check, a cancelled preconnect) ended it, and one that reset
 * destroyed it, before anyone listened: that child waited for an 'end' that
 * had come and gone, for ever, and this one died of an unhandled 'error'.
 * Sent after 'ready', the socket reaches the child's listener in the turn of
 * the event loop that makes it, before any read.
 *
 * A child that has not taken its connection within HANDOVER_TIMEOUT_MS
 * (stuck, stopped) is killed, and libuv reaps it like any other.
 */
function sendConnection(child: ChildProcess, connection: Socket, busySeconds: number): void {
  const deadline = setTimeout(() => {
    console.error(`Child ${child.pid} did not take its connection within ${HANDOVER_TIMEOUT_MS} ms: killed`);
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
        // The child has its connection. Now the parent is busy: while this
        // blocks, the child serves, exits, and stays a zombie.
        sleepSync(busySeconds);
      });
    }
    // The original's client_connection.close() in the parent: as soon as the
    // child says it has its own copy, or has died without taking it.
    if (message === 'received') connection.destroy();
    if (message === 'received') clearTimeout(deadline);
  });
  child.once('exit', () => connection.destroy());
  child.once('exit', () => clearTimeout(deadline));
  child.once('error', () => clearTimeout(deadline)); // fork failed: no 'exit' will come
}
// #endregion

// #region fork-child
/**
 * Starts a child process running this file with `--child` and `args`. When
 * fork fails (EAGAIN: too many processes; EMFILE: too many open files),
 * Node emits 'error' instead of 'spawn': the connection is dropped and the
 * server goes on.
 */
function forkChild(args: string[], connection: Socket): ChildProcess {
  const child = fork(THIS_FILE, ['--child', ...args], { execArgv: CHILD_EXEC_ARGV, env: CHILD_ENV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`fork: ${error.code ?? error.message}, a connection was dropped`);
    connection.destroy();
  });
  return child;
}
// #endregion

// #region serve-child
/**
 * The child's side, the original's `if pid == 0:` branch: receive the one
 * connection the parent sends, serve it, exit (os._exit(0)).
 */
export function serveChild(sleepSeconds: number): void {
  let received = false;
  process.once('message', async (message: unknown, connection?: Socket) => {
    if (message !== 'connection' || !connection) process.exit(1);
    received = true;
    process.send!('received', undefined, {}, () => {}); // the parent closes its copy when it hears this (if it has gone, no matter)
    connection.allowHalfOpen = true; // as in the parent's server: a half-closed client (nc -N) still gets its answer
    await handleRequest(connection, sleepSeconds);
    process.exit(0);
  });
  // Listening now: ask for the connection (sendConnection says why only now).
  // A child that gets none has nothing to serve, and exits.
  if (process.connected) process.send!('ready', undefined, {}, () => {});
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

// #region handle-request
/**
 * Serves one connection, as the original's handle_request(): reads the
 * request, prints whose process this is and the request, sends Part 1's
 * RESPONSE, sleeps, closes. Resolves when the connection is closed.
 */
export async function handleRequest(connection: Socket, sleepSeconds: number): Promise<void> {
  // Clients reset from time to time (Ctrl-C, a closed tab): that ends this connection, never the server.
  connection.on('error', (error: NodeJS.ErrnoException) => console.error(`${error.code ?? error.message}: connection dropped`));
  const request = await readRequest(connection);
  if (request.length > 0 && !connection.destroyed) {
    console.log(`Child PID: ${process.pid}. Parent PID ${process.ppid}`);
    console.log(request.toString('utf8'));
    await send(connection, RESPONSE);
    sleepSync(sleepSeconds); // the original's time.sleep(60): only this child stops, the parent accepts on
  }
  closeConnection(connection, request.length > 0 && mayStillSend(request, connection.readableEnded));
}
// #endregion

// #region sleep-sync
/**
 * Blocks the whole process for `seconds`, as Python's time.sleep() does.
 * Atomics.wait on a SharedArrayBuffer that nobody will ever notify is the
 * one way to block a Node thread without burning CPU: the thread sleeps in
 * the kernel (a futex wait) until the timeout.
 */
export function sleepSync(seconds: number): void {
  if (seconds > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}
// #endregion

// #region read-request
/**
 * Reads the request head: every byte up to the blank line that ends it
 * (Part 1's endOfHead), the end of the stream (a half-close, `nc -N`), or
 * MAX_REQUEST_BYTES, whichever comes first. TCP is a byte stream, so one
 * read may hold half a line. Resolves with the bytes read: none when the
 * client left, or stayed silent for IDLE_MS.
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
    connection.resume(); // the parent's server paused it when it accepted it (pauseOnConnect)
  });
}
// #endregion

/** Writes `bytes`; resolves when the kernel has them, or when the write failed (the 'error' listener says why). */
function send(connection: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => connection.write(bytes, () => resolve()));
}

// #region close-connection
/**
 * Closes our descriptor of the connection: close(2), as the original's
 * client_connection.close(). Not end(): end() calls shutdown(2) first, and
 * shutdown sends the client a FIN however many processes still hold the
 * socket. From 3c on, parent and child hold it together, and 3d is about
 * what happens when only close(2) is called.
 * Only a client that may still be sending (more than a head, or a body on
 * its way) gets Part 1's lingering close first: close(2) with its bytes
 * unread would answer them with RST, which can wipe out our response.
 */
function closeConnection(connection: Socket, linger: boolean): void {
  if (linger) lingeringClose(connection, true); // FIN, then read and drop, bounded
  else connection.destroy();
}
// #endregion

// #region listen
/**
 * Creates the listening socket on `host`:`port` and resolves with the server
 * once it listens. Rejects with the system error (EADDRINUSE, ...).
 */
export function listen(port: number, host: string): Promise<Server> {
  // allowHalfOpen: a client that shuts down its sending side (nc -N) can still read our answer.
  // pauseOnConnect: the parent reads nothing, so every byte of the request is left for the child.
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: REQUEST_QUEUE_SIZE }, () => {
      server.off('error', reject);
      // From now on an 'error' is accept() failing, e.g. EMFILE (too many open
      // files). The listening socket still works: say so, and go on.
      server.on('error', (error: NodeJS.ErrnoException) => console.error(`accept: ${error.code ?? error.message}, a connection was dropped`));
      resolve(server);
    });
  });
}
// #endregion

/** Reads `--port`, `--host`, `--sleep`, `--busy`, and `--child` (set by the parent). @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { port: number; host: string; sleep: number; busy: number; child: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      sleep: { type: 'string' },
      busy: { type: 'string' },
      child: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  const sleep = Number(values.sleep ?? DEFAULT_SLEEP_SECONDS);
  if (!(sleep >= 0)) throw new Error(`--sleep must be a number of seconds, 0 or more, not '${values.sleep}'`);
  const busy = Number(values.busy ?? DEFAULT_BUSY_SECONDS);
  if (!(busy >= 0)) throw new Error(`--busy must be a number of seconds, 0 or more, not '${values.busy}'`);
  return { port, host: values.host ?? DEFAULT_HOST, sleep, busy, child: values.child ?? false };
}

// #region main
async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const { port, host, sleep } = options;
  if (options.child) return serveChild(sleep);
  if (host === '0.0.0.0' || host === '::') {
    console.error(`Warning: listening on every network interface (${host}): anyone who can reach this machine can connect.`);
  }
  let server: Server;
  try {
    server = await listen(port, host);
  } catch (error) {
    console.error(explainListenError(error as NodeJS.ErrnoException, port, host));
    process.exit(1);
  }
  const address = server.address();
  console.log(`Serving HTTP on port ${typeof address === 'object' && address ? address.port : port} ...`);
  serveForever(server, sleep, options.busy);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
