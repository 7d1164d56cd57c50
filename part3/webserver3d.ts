/**
 * Part 3, step 3d: the parent forgets to close its copy of each connection.
 *
 * The TypeScript rendition of lsbaws part3/webserver3d.py. Changed since 3c:
 * the parent never closes its own descriptor of a connection it has handed
 * over, and prints how many it holds, as the original prints len(clients).
 * The child no longer sleeps (--sleep 0).
 *
 * (3c closed it when the child said it had its own, or died; 3d comments
 * those two lines out. A child that does not take its connection within
 * HANDOVER_TIMEOUT_MS is still killed, but that connection, too, stays open
 * in the parent.) Two things go wrong, as in the original:
 * - A client never sees the end of its response. The child closes its
 *   descriptor, but a TCP connection is closed (the kernel sends FIN) only
 *   when the last descriptor of it is closed, and the parent still has one.
 *   A client that reads to the end of the stream (nc, telnet) waits for
 *   ever. curl does not, because our response says its Content-Length.
 * - Descriptors pile up in the parent, one per connection, until it hits its
 *   limit (ulimit -n). Then accept() fails with EMFILE, "too many open
 *   files", and so does fork(): the IPC channel needs a descriptor too.
 *   Libuv's answer to EMFILE in accept() (src/unix/stream.c) is to close a
 *   descriptor it keeps in reserve, accept the waiting connections and close
 *   them at once, so those clients see their connection reset rather than
 *   hang. The original crashed instead.
 *
 * See it:   npm run part3 -- 3d
 *           printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | nc localhost 8888
 *              prints the response, then hangs until you stop the server
 *           ls /proc/PARENT_PID/fd | wc -l    one more after each request
 *           (ulimit -n 256; npm run part3 -- 3d --sleep 0) then, in another
 *           terminal, npm run part3:client -- --max-conns 300 --timeout 10
 * Options:  --port N (8888)  --host H (localhost)  --sleep SECONDS (0)
 */
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import * as plumbing from './plumbing.ts';
// The child's side: 3c's, unchanged.
import { serveChild } from './webserver3c.ts';

/**
 * How many connections the kernel completes and holds for us while we are
 * not accepting (Linux caps it at net.core.somaxconn). Larger than 3b's 5:
 * a forking server is meant for bursts of clients, and client3 opens 1024
 * connections at once.
 */
export const REQUEST_QUEUE_SIZE = 1024;
/** How long handle_request sleeps after each response, in seconds: the original's 3d does not. */
export const DEFAULT_SLEEP_SECONDS = 0;

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept().
 */
export function serveForever(server: Server): void {
  // Node would not close a socket that nothing refers to (an open handle lives
  // until it is closed); the original needs this list for that, we only count it.
  const clients: Socket[] = [];
  server.on('connection', (connection) => {
    clients.push(connection);
    plumbing.dropOnError(connection); // the parent never reads or writes it, but it has one
    const child = plumbing.forkChild(connection);
    sendConnection(child, connection);
    console.log(clients.length);
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
  // The original's client_connection.close() in the parent, commented out:
  // child.on('message', (message) => message === 'received' && connection.destroy());
  // child.once('exit', () => connection.destroy());
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
