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
import type { Server, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import * as plumbing from './plumbing.ts';

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
 * request (plumbing.ts: within Part 1's limits), prints it, sends Part 1's
 * RESPONSE, closes. Resolves when the connection is closed.
 */
export async function handleRequest(connection: Socket): Promise<void> {
  plumbing.dropOnError(connection);
  const request = await plumbing.readRequest(connection);
  if (request.length > 0 && !connection.destroyed) {
    console.log(request.toString('utf8'));
    await plumbing.send(connection, plumbing.RESPONSE);
  }
  plumbing.closeConnection(connection, request);
}
// #endregion

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      ...plumbing.PORT_AND_HOST,
    },
  });
  return {
    ...plumbing.portAndHost(values),
  };
}

// #region main
async function main(): Promise<void> {
  const options = plumbing.optionsOrExit(parseOptions);
  const server = await plumbing.listenOrExit(options.port, options.host, REQUEST_QUEUE_SIZE);
  await serveForever(server);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (plumbing.isProgram(import.meta.url)) await main();
