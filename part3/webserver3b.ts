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
import type { Server, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import * as plumbing from './plumbing.ts';
// The queue of accepted connections: 3a's, unchanged.
import { acceptQueue } from './webserver3a.ts';

/**
 * The original's listen(5): how many connections the kernel completes and
 * holds for us while we are not accepting. Libuv accepts as soon as the event
 * loop runs, so this matters only while the process is blocked (3b).
 */
export const REQUEST_QUEUE_SIZE = 5;
/** How long the original's handle_request sleeps after each response, in seconds. */
export const DEFAULT_SLEEP_SECONDS = 60;

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

// #region handle-request
/**
 * Serves one connection, as the original's handle_request(): reads the
 * request (plumbing.ts: within Part 1's limits), prints it, sends Part 1's
 * RESPONSE, sleeps, closes. Resolves when the connection is closed.
 */
export async function handleRequest(connection: Socket, sleepSeconds: number): Promise<void> {
  plumbing.dropOnError(connection);
  const request = await plumbing.readRequest(connection);
  if (request.length > 0 && !connection.destroyed) {
    console.log(request.toString('utf8'));
    await plumbing.send(connection, plumbing.RESPONSE);
    sleepSync(sleepSeconds); // the original's time.sleep(60): the whole process stops here
  }
  plumbing.closeConnection(connection, request);
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

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      ...plumbing.PORT_AND_HOST,
      sleep: { type: 'string' },
    },
  });
  return {
    ...plumbing.portAndHost(values),
    sleep: plumbing.seconds(values.sleep, 'sleep', DEFAULT_SLEEP_SECONDS),
  };
}

// #region main
async function main(): Promise<void> {
  const options = plumbing.optionsOrExit(parseOptions);
  const server = await plumbing.listenOrExit(options.port, options.host, REQUEST_QUEUE_SIZE);
  await serveForever(server, options.sleep);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (plumbing.isProgram(import.meta.url)) await main();
