/**
 * Part 3, step 3b: the iterative server of 3a, blocked for a while after
 * each response. The next client waits the whole time.
 *
 * The TypeScript rendition of lsbaws part3/webserver3b.py. Changed since 3a:
 * handleRequest sleeps --sleep seconds (60, as the original) after sending
 * the response and before closing the connection. While it sleeps, the whole
 * process stands still: no other connection is accepted or read, not even
 * the FIN that would end this one. New connections wait in the kernel's
 * listen queue (REQUEST_QUEUE_SIZE of them; more wait for a slot).
 *
 * The sleep has to block, and in Node that takes a deliberate effort: a
 * timer (setTimeout) would let the event loop serve everybody else in the
 * meantime, which is Node's whole point and not this step's. sleepSync
 * blocks the thread the way Python's time.sleep() does.
 *
 * See it:   npm run part3 -- 3b
 *           curl http://localhost:8888/hello   answered at once: the response
 *              says how long its body is (Content-Length), so curl does not
 *              wait for the close. The original's response did not, so its
 *              curl waited the 60 seconds too.
 *           curl http://localhost:8888/hello   right after, in a second
 *              terminal: it waits until the first one's 60 seconds are over.
 * Options:  --port N (8888)  --host H (localhost)  --sleep SECONDS (60)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { endOfHead, explainListenError, IDLE_TIMEOUT_MS, lingeringClose, MAX_REQUEST_BYTES, mayStillSend } from '../part1/connection.ts'; import { RESPONSE } from '../part1/webserver1.ts';

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';
/** How long the original's handle_request sleeps after each response, in seconds. */
export const DEFAULT_SLEEP_SECONDS = 60;
/**
 * The original's listen(5): how many connections the kernel completes and
 * holds for us while we are not accepting. Libuv accepts as soon as the event
 * loop runs, so this matters only while the process is blocked (3b).
 */
export const REQUEST_QUEUE_SIZE = 5;

// #region serve-forever
/**
 * Serves connections one after the other, for ever: the original's
 * `while True: accept(); handle_request(); close()`.
 */
export async function serveForever(server: Server, sleepSeconds: number): Promise<never> {
  const accept = acceptQueue(server);
  for (;;) {
    const connection = await accept();
    await handleRequest(connection, sleepSeconds);
  }
}
// #endregion

// #region accept-queue
/**
 * Turns the server's 'connection' events into an accept() to await: each
 * call resolves with the oldest connection not yet served, or waits for the
 * next one. The connections in the queue are paused, so nothing is read from
 * them (and none of them can fail) until handleRequest resumes one.
 */
export function acceptQueue(server: Server): () => Promise<Socket> {
  const accepted: Socket[] = [];
  let waiter: ((connection: Socket) => void) | undefined;
  server.on('connection', (connection) => {
    if (waiter) waiter(connection);
    else accepted.push(connection);
    waiter = undefined;
  });
  return () => {
    const next = accepted.shift();
    return next ? Promise.resolve(next) : new Promise((resolve) => (waiter = resolve));
  };
}
// #endregion

// #region handle-request
/**
 * Serves one connection, as the original's handle_request(): reads the
 * request, prints it, sends Part 1's RESPONSE, sleeps, closes. Resolves
 * when the connection is closed.
 */
export async function handleRequest(connection: Socket, sleepSeconds: number): Promise<void> {
  // Clients reset from time to time (Ctrl-C, a closed tab): that ends this connection, never the server.
  connection.on('error', (error: NodeJS.ErrnoException) => console.error(`${error.code ?? error.message}: connection dropped`));
  const request = await readRequest(connection);
  if (request.length > 0 && !connection.destroyed) {
    console.log(request.toString('utf8'));
    await send(connection, RESPONSE);
    sleepSync(sleepSeconds); // the original's time.sleep(60): the whole process stops here
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
    connection.setTimeout(IDLE_TIMEOUT_MS, () => {
      request = Buffer.alloc(0); // a silent client gets no answer, only the close
      done();
    });
    connection.on('data', onData).on('end', done).on('close', done);
    connection.resume(); // paused since it was accepted (pauseOnConnect)
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
  // pauseOnConnect: read nothing from a connection until serveForever takes it.
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

/** Reads `--port`, `--host` and `--sleep`. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { port: number; host: string; sleep: number } {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, sleep: { type: 'string' } } });
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  const sleep = Number(values.sleep ?? DEFAULT_SLEEP_SECONDS);
  if (!(sleep >= 0)) throw new Error(`--sleep must be a number of seconds, 0 or more, not '${values.sleep}'`);
  return { port, host: values.host ?? DEFAULT_HOST, sleep };
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
  await serveForever(server, sleep);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
