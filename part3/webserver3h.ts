/**
 * Part 3, step 3h: a concurrent gateway server. Part 2's server, with a
 * child process per connection.
 *
 * The TypeScript rendition of lsbaws part3/webserver3h.py, which gives
 * webserver2's WSGI server the forking of 3g. Changed since 3g: the child
 * serves its connection with Part 2's handleOneRequest and the application
 * named on the command line (MODULE:EXPORT, as Part 2 takes it), instead of
 * the fixed Hello, World. environ says wsgi.multiprocess: true, because other
 * processes run the same application at the same time (PEP 3333). The
 * parent loads the application once too, only to fail at once on a typo.
 * The reaper now speaks only of children that did not exit cleanly, and
 * --quiet silences the request log (for load tests).
 *
 * Unlike a child of fork(2), each Node child imports the application again,
 * before it asks for its connection: part of what a child costs (NOTES.md).
 *
 * See it:   npm run part3 -- 3h honoapp        (or hello, h3app, ittyapp, ...)
 *           curl -v http://localhost:8888/hello
 *           npm run part3:client -- --max-conns 1024
 * Options:  --port N (8888)  --host H (localhost)  --quiet  --max-children N (32)
 *           LSBAWS_FIXED_DATE=2019-07-15T05:54:48Z fixes the Date header (tests)
 */
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { loadApplication } from '../part2/loader.ts';
import { handleOneRequest } from '../part2/webserver2.ts';
import * as plumbing from './plumbing.ts';
// The listen backlog and the limit on children: 3g's, for the same reasons.
import { DEFAULT_MAX_CHILDREN, REQUEST_QUEUE_SIZE } from './webserver3g.ts';

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept().
 */
export function serveForever(server: Server, childArgs: string[], maxChildren: number): void {
  const waiting: Socket[] = []; // accepted and paused, not yet handed to a child; oldest first
  let alive = 0;
  // #region grim-reaper
  /** The original's grim_reaper: a child has exited, and libuv has reaped it (waitpid). */
  function grimReaper(child: ChildProcess, code: number | null, signal: string | null): void {
    alive -= 1;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    const counts = `${alive} alive, ${waiting.length} waiting`;
    if (code !== 0) console.error(`Child ${child.pid} terminated with ${how} (${counts})`);
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
    const child = plumbing.forkChild(childArgs, connection);
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

// #region send-connection
/**
 * Hands `connection` to `child` (plumbing.ts, passConnection: the descriptor
 * itself, over the IPC channel), then closes the parent's copy.
 */
function sendConnection(child: ChildProcess, connection: Socket): void {
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
 * connection the parent sends, serve it with Part 2's handleOneRequest and
 * the application `spec` names, exit (os._exit(0)).
 */
export function serveChild(spec: string, options: plumbing.ServerOptions): void {
  // The parent has loaded it already: a failure here means the module changed since.
  const app = loadApplication(spec).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
  // The application loaded, ask for the connection: a socket that waited for
  // the import would meet its client's close or reset with no listener.
  plumbing.receiveConnection(async (connection) => {
    const serverPort = String(connection.localPort);
    // Part 2's handleOneRequest rejects when the client resets while it writes
    // an error response (the write fails, ECONNRESET): nothing is left to serve.
    await handleOneRequest(connection, await app, { ...options, serverPort }).catch(() => {});
    // handleOneRequest resolves once the response is on its way; the
    // connection closes when the client has read it (Part 2's finishResponse).
    if (!connection.destroyed) await once(connection, 'close');
  }, app);
}
// #endregion

/**
 * Reads the command line; `--child` is set by the parent.
 * @throws Error with a one-line message on bad input.
 */
export function parseOptions(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...plumbing.PORT_AND_HOST,
      quiet: { type: 'boolean', default: false },
      'max-children': { type: 'string' },
      child: { type: 'boolean', default: false },
    },
  });
  return {
    ...plumbing.portAndHost(values),
    spec: plumbing.applicationSpec(positionals, '3h'),
    quiet: values.quiet,
    maxChildren: plumbing.count(values['max-children'], 'max-children', DEFAULT_MAX_CHILDREN),
    child: values.child,
  };
}

// #region main
async function main(): Promise<void> {
  const options = plumbing.optionsOrExit(parseOptions);
  const { spec, host, quiet } = options;
  if (options.child) return serveChild(spec, plumbing.gatewayOptions(host, quiet));
  await plumbing.loadOrExit(spec); // once, to fail here on a typo rather than in every child
  // noDelay: as Part 2's server, no Nagle delay for a small body after the head.
  const listening = { noDelay: true, name: 'GatewayServer' };
  const server = await plumbing.listenOrExit(options.port, host, REQUEST_QUEUE_SIZE, listening);
  serveForever(server, [spec, '--host', host, ...(quiet ? ['--quiet'] : [])], options.maxChildren);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (plumbing.isProgram(import.meta.url)) await main();
