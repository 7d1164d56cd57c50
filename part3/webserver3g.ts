/**
 * Part 3, step 3g: at most --max-children children at a time; the other
 * connections wait their turn, paused.
 *
 * The TypeScript rendition of lsbaws part3/webserver3g.py, whose change is
 * one Node makes for us (3f's banner says where): reap every exited child,
 * waitpid(-1, WNOHANG) in a loop, and restart accept() after EINTR. What is
 * left to fix in Node is what the original never fixes: a burst of
 * connections starts a burst of processes. client3 opens 1024 connections at
 * once; 3f starts 1024 Node processes at once, each tens of megabytes, on a
 * machine with two cores that can start only a few at a time anyway.
 *
 * Changed since 3f: the parent puts each new connection, paused, at the end
 * of a queue, and forks a child for the oldest one only while fewer than
 * --max-children children are alive. When grimReaper counts a child out, the
 * next connection in the queue gets one. A waiting connection costs only a
 * descriptor: its request lies unread in the kernel, as in the listen queue.
 * The child no longer sleeps (the original's 3g does not).
 *
 * See it:   npm run part3 -- 3g
 *           npm run part3:client    1024 connections at once: all answered,
 *              never more than 32 children (the reaper's lines say how many
 *              are alive and how many connections wait)
 * Options:  --port N (8888)  --host H (localhost)  --sleep SECONDS (0)
 *           --max-children N (32)
 */
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
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
/** How long handle_request sleeps after each response, in seconds: the original's 3g does not. */
export const DEFAULT_SLEEP_SECONDS = 0;

// #region max-children
/**
 * How many children may be alive at once. A child is a whole Node process:
 * about 43 MB resident, 6-7 MB of it its own (the rest is Node's code,
 * shared), and 30-60 ms of CPU before it can serve (part3/NOTES.md). Two
 * cores start about two at a time whatever the limit: with 1024 quick
 * requests at once, 8, 32 and 128 all took about 24 s. The limit matters
 * when requests wait (on a database, on --sleep), each holding a child
 * meanwhile: 32 lets that many wait at once and bounds the tree at about
 * 250 MB of private memory (some 1.4 GB of RSS as ps adds it up).
 */
export const DEFAULT_MAX_CHILDREN = 32;
// #endregion

/** The parent's options: --max-children, and 3h's --quiet (the reaper reports failures only). */
type ParentOptions = { maxChildren: number; quiet?: boolean };

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept().
 */
export function serveForever(server: Server, { maxChildren, quiet }: ParentOptions): void {
  const waiting: Socket[] = []; // accepted and paused, not yet handed to a child; oldest first
  let alive = 0;
  // #region grim-reaper
  /** The original's grim_reaper: a child has exited, and libuv has reaped it (waitpid). */
  function grimReaper(child: ChildProcess, code: number | null, signal: string | null): void {
    alive -= 1;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    const counts = `${alive} alive, ${waiting.length} waiting`;
    const print = code === 0 ? console.log : console.error; // a failure on stderr
    if (code !== 0 || !quiet) print(`Child ${child.pid} terminated with ${how} (${counts})`);
    forkChildren();
  }
  // #endregion

  server.on('connection', (connection) => {
    plumbing.dropOnError(connection); // the parent never reads or writes it, but it has one
    waiting.push(connection);
    forkChildren();
  });

  // #region fork-children
  /** Hands waiting connections to new children, oldest first, while fewer than maxChildren live. */
  function forkChildren(): void {
    while (alive < maxChildren && waiting.length > 0) handOver(waiting.shift()!);
  }
  // #endregion

  function handOver(connection: Socket): void {
    alive += 1; // from fork(), not 'spawn': forkChildren forks several before any 'spawn' comes
    const child = plumbing.forkChild(connection);
    child.once('error', () => {
      // fork failed: no 'exit' will come. The next connection gets its turn at once.
      alive -= 1;
      forkChildren();
    });
    child.once('exit', (code, signal) => grimReaper(child, code, signal));
    sendConnection(child, connection);
  }
}
// #endregion

/** The command line, one option a line; `--child` is set by the parent. */
export const OPTIONS = {
  ...plumbing.PORT_AND_HOST_ROWS,
  sleep: plumbing.secondsRow(DEFAULT_SLEEP_SECONDS),
  maxChildren: plumbing.countRow(DEFAULT_MAX_CHILDREN),
  child: plumbing.FLAG_ROW,
};

// The program (not a test importing this file): a child serves, the parent forks (plumbing.ts).
await plumbing.main(import.meta.url, OPTIONS, REQUEST_QUEUE_SIZE, { serveForever, serveChild });
