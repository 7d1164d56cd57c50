/**
 * Part 3, step 3f: the grim reaper. The parent learns of every child's end
 * and counts the children alive.
 *
 * The TypeScript rendition of lsbaws part3/webserver3f.py. Changed since 3e:
 * the parent is no longer busy (no --busy), and it listens for each child's
 * 'exit': grimReaper prints `Child N terminated with status 0` and how many
 * children are alive. The child sleeps 3 seconds after its response, as the
 * original's does, so you can watch the count go up and come down.
 *
 * The original installs a SIGCHLD handler that calls wait() once. Two bugs
 * follow, and the next steps of the original fix them:
 * - Signals are not queued: SIGCHLDs that arrive while one is pending merge
 *   into one, so when many children exit at once (client3 makes them), one
 *   wait() per signal leaves zombies behind. The fix (3g): call
 *   waitpid(-1, WNOHANG) in a loop until no exited child is left.
 * - A signal interrupts the parent's blocking accept(), which fails with
 *   EINTR, and the server crashes. The fix (3g): call accept() again.
 *
 * Neither can happen here, and we cannot call waitpid() from JavaScript
 * anyway: libuv does both for us.
 * - Its SIGCHLD handler does not wait; it only wakes the event loop, which
 *   then calls waitpid(pid, WNOHANG) for every child it has started, whether
 *   one signal came or ten (libuv src/unix/process.c, uv__chld). That is the
 *   original's 3g loop. Only then does Node emit 'exit', with the status:
 *   'exit' is where a Node parent learns that a child has been reaped.
 * - Nothing of ours blocks in accept(): libuv's sockets are non-blocking and
 *   it accepts only when epoll says a connection is waiting; its handlers are
 *   installed with SA_RESTART (src/unix/signal.c), and it retries accept()
 *   and its other system calls on EINTR itself (src/unix/core.c, uv__accept).
 *
 * See it:   npm run part3 -- 3f
 *           curl http://localhost:8888/hello     three seconds later the
 *              parent prints: Child 4242 terminated with status 0 (0 alive)
 *           npm run part3:client -- --max-conns 64    every child reported,
 *              and `ps -o pid,ppid,stat,cmd --ppid PARENT_PID` shows no zombie
 * Options:  --port N (8888)  --host H (localhost)  --sleep SECONDS (3)
 */
import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import * as plumbing from './plumbing.ts';
// The hand-over and the child's side: 3c's, unchanged.
import { sendConnection, serveChild } from './webserver3c.ts';

/**
 * How many connections the kernel completes and holds for us while we are
 * not accepting (Linux caps it at net.core.somaxconn). Larger than 3b's 5:
 * a forking server is meant for bursts of clients, and client3 opens 1024
 * connections at once.
 */
export const REQUEST_QUEUE_SIZE = 1024;
/** How long handle_request sleeps after each response, in seconds: 3, as the original's 3f. */
export const DEFAULT_SLEEP_SECONDS = 3;

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept().
 */
export function serveForever(server: Server): void {
  let alive = 0;
  // #region grim-reaper
  /** The original's grim_reaper: a child has exited, and libuv has reaped it (waitpid). */
  function grimReaper(child: ChildProcess, code: number | null, signal: string | null): void {
    alive -= 1;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    console.log(`Child ${child.pid} terminated with ${how} (${alive} alive)`);
  }
  // #endregion

  server.on('connection', (connection) => {
    plumbing.dropOnError(connection); // the parent never reads or writes it, but it has one
    alive += 1; // counted from fork(): if fork fails, 'error' comes instead of 'exit'
    const child = plumbing.forkChild(connection);
    child.once('error', () => (alive -= 1)); // fork failed: no 'exit' will come
    child.once('exit', (code, signal) => grimReaper(child, code, signal));
    sendConnection(child, connection);
  });
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
