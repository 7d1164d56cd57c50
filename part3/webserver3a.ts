/**
 * Part 3, step 3a: an iterative server. It serves one connection at a time.
 *
 * The TypeScript rendition of lsbaws part3/webserver3a.py: accept a
 * connection, serve it (read the request, print it, send Part 1's RESPONSE,
 * close), and only then accept the next one. Part 1's server already served
 * many clients at once, because Node's event loop interleaves connections;
 * this step undoes that on purpose, to start where the original starts.
 *
 * Node accepts for us: libuv calls accept() whenever the listening socket is
 * readable and raises a 'connection' event, busy or not. So here each new
 * connection waits in a queue, paused (pauseOnConnect: nothing is read from
 * it), and serveForever takes the next one only when the previous one has
 * closed. A client cannot tell that queue from the kernel's listen queue the
 * original waits in: its connection is open, its request lies unread.
 *
 * See it:   npm run part3 -- 3a
 *           telnet localhost 8888              connect, and type nothing yet
 *           curl http://localhost:8888/hello   in a second terminal: it waits
 *           then type `GET / HTTP/1.1` and Enter twice into telnet: telnet
 *           gets its answer, and only then does curl get its own.
 * Options:  --port N (8888)  --host H (localhost)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { endOfHead, explainListenError, IDLE_TIMEOUT_MS, lingeringClose, MAX_REQUEST_BYTES, mayStillSend } from '../part1/connection.ts'; import { RESPONSE } from '../part1/webserver1.ts';

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';
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
export async function serveForever(server: Server): Promise<never> {
  const accept = acceptQueue(server);
  for (;;) {
    const connection = await accept();
    await handleRequest(connection);
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
 * request, prints it, sends Part 1's RESPONSE, closes. Resolves when the
 * connection is closed.
 */
export async function handleRequest(connection: Socket): Promise<void> {
  // Clients reset from time to time (Ctrl-C, a closed tab): that ends this connection, never the server.
  connection.on('error', (error: NodeJS.ErrnoException) => console.error(`${error.code ?? error.message}: connection dropped`));
  const request = await readRequest(connection);
  if (request.length > 0 && !connection.destroyed) {
    console.log(request.toString('utf8'));
    await send(connection, RESPONSE);
  }
  closeConnection(connection, request.length > 0 && mayStillSend(request, connection.readableEnded));
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

/** Reads `--port` and `--host`. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { port: number; host: string } {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  return { port, host: values.host ?? DEFAULT_HOST };
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
  const { port, host } = options;
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
  await serveForever(server);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
