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
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import * as plumbing from './plumbing.ts';
import { sleepSync } from './webserver3b.ts';
// The child's side: 3c's, unchanged.
import { serveChild } from './webserver3c.ts';

/**
 * How many connections the kernel completes and holds for us while we are
 * not accepting (Linux caps it at net.core.somaxconn). Larger than 3b's 5:
 * a forking server is meant for bursts of clients, and client3 opens 1024
 * connections at once.
 */
export const REQUEST_QUEUE_SIZE = 1024;
/** How long handle_request sleeps after each response, in seconds: the original's 3e does not. */
export const DEFAULT_SLEEP_SECONDS = 0;
/** How long the parent blocks after a hand-over, in seconds: long enough to type a ps command. */
export const DEFAULT_BUSY_SECONDS = 30;

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept().
 */
export function serveForever(server: Server, { busy }: { busy: number }): void {
  server.on('connection', (connection) => {
    plumbing.dropOnError(connection); // the parent never reads or writes it, but it has one
    const child = plumbing.forkChild(connection);
    sendConnection(child, connection, busy);
  });
}
// #endregion

// #region send-connection
/**
 * Hands `connection` to `child` (plumbing.ts, passConnection: the descriptor
 * itself, over the IPC channel), then closes the parent's copy.
 */
function sendConnection(child: ChildProcess, connection: Socket, busySeconds: number): void {
  plumbing.passConnection(child, connection);
  // The original's client_connection.close() in the parent: as soon as the
  // child says it has its own copy, or has died without taking it.
  child.on('message', (message) => message === 'received' && connection.destroy());
  child.once('exit', () => connection.destroy());
  // The child has its connection. Now the parent is busy: while this
  // blocks, the child serves, exits, and stays a zombie.
  child.on('message', (message) => message === 'received' && sleepSync(busySeconds));
}
// #endregion

/** The command line, one option a line; `--child` is set by the parent. */
export const OPTIONS = {
  ...plumbing.PORT_AND_HOST_ROWS,
  sleep: plumbing.secondsRow(DEFAULT_SLEEP_SECONDS),
  busy: plumbing.secondsRow(DEFAULT_BUSY_SECONDS),
  child: plumbing.FLAG_ROW,
};

// The program (not a test importing this file): a child serves, the parent forks (plumbing.ts).
await plumbing.main(import.meta.url, OPTIONS, REQUEST_QUEUE_SIZE, { serveForever, serveChild });
