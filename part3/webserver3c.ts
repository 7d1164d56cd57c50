/**
 * Part 3, step 3c: a concurrent server. A child process per connection.
 *
 * The TypeScript rendition of lsbaws part3/webserver3c.py. Changed since 3b:
 * the parent only accepts. For each connection it starts a child process,
 * hands it the connection, closes its own copy, and goes back to accepting.
 * The child serves the connection (and sleeps its --sleep seconds, 60 as the
 * original's, holding the connection open), then exits. Both print their
 * process ids, as the original does: `Child PID: N. Parent PID M`.
 *
 * Node has no fork(2). What replaces it:
 * - child_process.fork() starts a new Node process running this same file,
 *   with `--child`; that flag plays the part of the original's `if pid == 0`.
 *   The child shares nothing with the parent: it loads its code again.
 * - The connection travels over the IPC channel fork() sets up (a Unix
 *   socket): subprocess.send('connection', socket) passes the descriptor
 *   itself (SCM_RIGHTS), so the child owns the same TCP connection. The
 *   parent's server has pauseOnConnect, so it reads no byte of the request,
 *   and the parent closes its copy as soon as the child says it has one.
 *   The child asks for it only once it listens (plumbing.ts, passConnection,
 *   says why), and a child that has not taken it within HANDOVER_TIMEOUT_MS
 *   is killed.
 * - A child costs a whole Node start-up: tens of milliseconds of CPU and
 *   about 43 MB resident, 6-7 MB of it its own (part3/NOTES.md), where
 *   fork(2) only copies the running process's page tables. Hence
 *   scripts/part3.ts: the children run plain JavaScript, never a
 *   TypeScript loader, which would cost five times as much.
 *
 * See it:   npm run part3 -- 3c
 *           curl http://localhost:8888/hello   in two terminals: both are
 *              answered at once, though each child sleeps 60 seconds.
 *           ps -o pid,ppid,stat,cmd --ppid PARENT_PID   the sleeping children
 * Options:  --port N (8888)  --host H (localhost)  --sleep SECONDS (60)
 */
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import * as plumbing from './plumbing.ts';
import { sleepSync } from './webserver3b.ts';

/**
 * How many connections the kernel completes and holds for us while we are
 * not accepting (Linux caps it at net.core.somaxconn). Larger than 3b's 5:
 * a forking server is meant for bursts of clients, and client3 opens 1024
 * connections at once.
 */
export const REQUEST_QUEUE_SIZE = 1024;
/** How long the original's handle_request sleeps after each response, in seconds. */
export const DEFAULT_SLEEP_SECONDS = 60;

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept().
 */
export function serveForever(server: Server): void {
  server.on('connection', (connection) => {
    plumbing.dropOnError(connection); // the parent never reads or writes it, but it has one
    const child = plumbing.forkChild(connection);
    sendConnection(child, connection);
  });
}
// #endregion

// #region send-connection
/**
 * Hands `connection` to `child` (plumbing.ts, passConnection: the descriptor
 * itself, over the IPC channel), then closes the parent's copy.
 */
export function sendConnection(child: ChildProcess, connection: Socket): void {
  plumbing.passConnection(child, connection);
  // The original's client_connection.close() in the parent: as soon as the
  // child says it has its own copy, or has died without taking it.
  child.on('message', (message) => message === 'received' && connection.destroy());
  child.once('exit', () => connection.destroy());
}
// #endregion

// #region serve-child
/**
 * The child's side, the original's `if pid == 0:` branch: receive the one
 * connection the parent sends, serve it, exit (os._exit(0)).
 */
export function serveChild({ sleep }: { sleep: number }): void {
  plumbing.receiveConnection((connection) => handleRequest(connection, sleep));
}
// #endregion

// #region handle-request
/**
 * Serves one connection, as the original's handle_request(): reads the
 * request, prints whose process this is and the request, sends Part 1's
 * RESPONSE, sleeps, closes. Resolves when the connection is closed.
 */
export async function handleRequest(connection: Socket, sleepSeconds: number): Promise<void> {
  plumbing.dropOnError(connection);
  const request = await plumbing.readRequest(connection);
  if (request.length > 0 && !connection.destroyed) {
    console.log(`Child PID: ${process.pid}. Parent PID ${process.ppid}`);
    console.log(request.toString('utf8'));
    await plumbing.send(connection, plumbing.RESPONSE);
    sleepSync(sleepSeconds); // time.sleep(60): only this child stops, the parent accepts on
  }
  plumbing.closeConnection(connection, request);
}
// #endregion

/** The command line, one option a line; `--child` is set by the parent. */
export const OPTIONS = {
  ...plumbing.PORT_AND_HOST_ROWS,
  sleep: plumbing.secondsRow(DEFAULT_SLEEP_SECONDS),
  child: plumbing.FLAG_ROW,
};

// The program (not a test importing this file): a child serves, the parent forks (plumbing.ts).
await plumbing.main(import.meta.url, OPTIONS, REQUEST_QUEUE_SIZE, { serveForever, serveChild });
