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
 * Unlike a child of fork(2), which inherits the application its parent has
 * already imported, each Node child imports it again: that is part of what a
 * child costs here (part3/NOTES.md). It loads it before it asks for its
 * connection.
 *
 * See it:   npm run part3 -- 3h honoapp        (or hello, h3app, ittyapp, ...)
 *           curl -v http://localhost:8888/hello
 *           npm run part3:client -- --max-conns 1024
 * Options:  --port N (8888)  --host H (localhost)  --quiet  --max-children N (32)
 *           LSBAWS_FIXED_DATE=2019-07-15T05:54:48Z fixes the Date header (tests)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { explainListenError } from '../part1/connection.ts';
import { loadApplication } from '../part2/loader.ts';
import { handleOneRequest, type ServerOptions } from '../part2/webserver2.ts';

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';
/**
 * How many connections the kernel completes and holds for us while we are
 * not accepting (Linux caps it at net.core.somaxconn). Larger than 3b's 5:
 * a forking server is meant for bursts of clients, and client3 opens 1024
 * connections at once.
 */
export const REQUEST_QUEUE_SIZE = 1024;

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

// #region this-file
/**
 * The file every child runs: this one. Through `npm run part3` it is plain
 * JavaScript, bundled by scripts/part3.ts, and the children start without a
 * loader (`execArgv: []`; by default a child inherits the parent's Node
 * flags). Run from its TypeScript source (`npx tsx part3/webserver3h.ts`),
 * the children need tsx's loader too, and pay for it in time and memory.
 */
const THIS_FILE = fileURLToPath(import.meta.url);
const CHILD_EXEC_ARGV = THIS_FILE.endsWith('.ts') ? process.execArgv : [];
/**
 * The children's environment: ours, less NODE_EXTRA_CA_CERTS. A child that
 * serves plain HTTP makes no TLS connection, and Node 20 reads and parses
 * that file of CA certificates at every start-up, before a line of ours
 * runs: where it is set, it doubles what a child costs (part3/NOTES.md).
 */
const { NODE_EXTRA_CA_CERTS: _certificates, ...CHILD_ENV } = process.env;
// #endregion
/**
 * How long a child may take to start and take its connection, in ms: the
 * parent kills a child that has not taken it by then, and a child that has
 * had no connection by then exits. A start costs 30-60 ms of CPU
 * (part3/NOTES.md), but 3f starts a child for every connection at once:
 * client3's 1024 need some 25 s of two cores' time before the last is
 * ready. A minute leaves room for that. Tests set LSBAWS_HANDOVER_TIMEOUT_MS
 * to watch it happen.
 */
export const HANDOVER_TIMEOUT_MS = Number(process.env.LSBAWS_HANDOVER_TIMEOUT_MS ?? 60_000);

// #region serve-forever
/**
 * Accepts connections for ever, and forks a child to serve each one: the
 * original's `while True: accept(); fork(); ...`. Node's event loop is the
 * loop; each 'connection' event is one accept(). Each connection waits in a
 * queue until fewer than maxChildren children are alive. `childArgs` tell
 * the children which application to run, and how.
 */
export function serveForever(server: Server, childArgs: string[], maxChildren: number): void {
  const waiting: Socket[] = []; // accepted and paused, not yet handed to a child; oldest first
  let alive = 0;
  // #region grim-reaper
  /**
   * Runs when a child has exited and libuv has reaped it (waitpid): the
   * original's grim_reaper. `code` is the exit status; `signal` is set
   * instead when a signal killed the child (kill -9, a crash).
   */
  function grimReaper(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    alive -= 1;
    if (code !== 0) console.error(`Child ${child.pid} terminated with ${signal ? `signal ${signal}` : `status ${code}`} (${alive} alive, ${waiting.length} waiting)`);
    forkChildren();
  }
  // #endregion

  server.on('connection', (connection) => {
    // The parent never reads or writes this socket; the listener is there because every socket has one.
    connection.on('error', (error: NodeJS.ErrnoException) => console.error(`${error.code ?? error.message}: connection dropped`));
    waiting.push(connection);
    forkChildren();
  });

  // #region fork-children
  /** Hands waiting connections to new children, oldest first, while fewer than maxChildren are alive. */
  function forkChildren(): void {
    while (alive < maxChildren && waiting.length > 0) handOver(waiting.shift()!);
  }
  // #endregion

  function handOver(connection: Socket): void {
    alive += 1; // counted from fork(), not from 'spawn': forkChildren forks several before any 'spawn' arrives
    const child = forkChild(childArgs, connection);
    child.once('error', () => {
      // fork failed (forkChild has dropped the connection), so no 'exit' will
      // come. The next connection gets its turn at once: none waits for ever.
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
 * Hands `connection` to `child` over the IPC channel, in three messages:
 * the child says 'ready' once it listens, the parent sends the connection,
 * the child says 'received'. Then the parent closes its copy.
 *
 * Why wait for 'ready'. Node keeps a message that reaches a child before its
 * code listens (lib/internal/child_process.js, kPendingMessages; a child
 * that loads an ES module listens late), but makes the socket in it at
 * once, and the socket starts reading. A client that had closed without a
 * byte (a port check, a cancelled preconnect) ended it, and one that reset
 * destroyed it, before anyone listened: that child waited for an 'end' that
 * had come and gone, for ever, and this one died of an unhandled 'error'.
 * Sent after 'ready', the socket reaches the child's listener in the turn of
 * the event loop that makes it, before any read.
 *
 * A child that has not taken its connection within HANDOVER_TIMEOUT_MS
 * (stuck, stopped) is killed, and libuv reaps it like any other.
 */
function sendConnection(child: ChildProcess, connection: Socket): void {
  const deadline = setTimeout(() => {
    console.error(`Child ${child.pid} did not take its connection within ${HANDOVER_TIMEOUT_MS} ms: killed`);
    child.kill('SIGKILL');
  }, HANDOVER_TIMEOUT_MS);
  child.on('message', (message) => {
    // Node docs, subprocess.send(message, sendHandle, { keepOpen }): keepOpen
    // true leaves our copy of the socket open. With false, Node would close
    // it once the child acknowledges receipt, but if the child dies before
    // that, Node 20 never closes it and the client hangs for good
    // (lib/internal/child_process.js waits for an ACK that never comes).
    if (message === 'ready') {
      child.send('connection', connection, { keepOpen: true }, (error) => {
        if (error) connection.destroy(); // the child died before it got the connection
      });
    }
    // The original's client_connection.close() in the parent: as soon as the
    // child says it has its own copy, or has died without taking it.
    if (message === 'received') connection.destroy();
    if (message === 'received') clearTimeout(deadline);
  });
  child.once('exit', () => connection.destroy());
  child.once('exit', () => clearTimeout(deadline));
  child.once('error', () => clearTimeout(deadline)); // fork failed: no 'exit' will come
}
// #endregion

// #region fork-child
/**
 * Starts a child process running this file with `--child` and `args`. When
 * fork fails (EAGAIN: too many processes; EMFILE: too many open files),
 * Node emits 'error' instead of 'spawn': the connection is dropped and the
 * server goes on.
 */
function forkChild(args: string[], connection: Socket): ChildProcess {
  const child = fork(THIS_FILE, ['--child', ...args], { execArgv: CHILD_EXEC_ARGV, env: CHILD_ENV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`fork: ${error.code ?? error.message}, a connection was dropped`);
    connection.destroy();
  });
  return child;
}
// #endregion

// #region serve-child
/**
 * The child's side, the original's `if pid == 0:` branch: receive the one
 * connection the parent sends, serve it with Part 2's handleOneRequest and
 * the application `spec` names, exit (os._exit(0)).
 */
export function serveChild(spec: string, options: ServerOptions): void {
  // Load it before asking for the connection. The parent has loaded it
  // already, so a failure here means the module changed since.
  const app = loadApplication(spec).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
  let received = false;
  process.once('message', async (message: unknown, connection?: Socket) => {
    if (message !== 'connection' || !connection) process.exit(1);
    received = true;
    process.send!('received', undefined, {}, () => {}); // the parent closes its copy when it hears this (if it has gone, no matter)
    connection.allowHalfOpen = true; // as in Part 2's server: a half-closed client (nc -N) still gets its answer
    // Part 2's handleOneRequest rejects when the client resets while it writes
    // an error response (the write fails, ECONNRESET): nothing is left to serve.
    await handleOneRequest(connection, await app, { ...options, serverPort: String(connection.localPort) }).catch(() => {});
    // handleOneRequest resolves once the response is on its way; the
    // connection closes when the client has read it (Part 2's finishResponse).
    if (!connection.destroyed) await once(connection, 'close');
    process.exit(0);
  });
  // Listening now, and the application loaded: ask for the connection
  // (sendConnection says why only now; a socket that waited for the import
  // would meet its client's close or reset with no listener, as there).
  // A child that gets none has nothing to serve, and exits.
  void app.then(() => process.connected && process.send!('ready', undefined, {}, () => {}));
  setTimeout(() => received || process.exit(1), HANDOVER_TIMEOUT_MS).unref();
  // If the parent dies while the connection is on its way, Node may drop the
  // message (one still pending when the channel closes is never emitted),
  // yet keep the socket it has made of the descriptor, which would keep this
  // child alive for ever. With no connection to serve, there is nothing to wait for.
  const orphaned = () => received || process.exit(1);
  if (process.connected) process.once('disconnect', orphaned);
  else orphaned();
}
// #endregion

// #region fixed-date
/**
 * The clock behind the Date header. Part 2's tests pass a fixed clock to the
 * server function; a test of this server talks to another process, so it
 * sets LSBAWS_FIXED_DATE (an ISO date) and every response says that date,
 * byte for byte repeatable. Without it, the real time.
 */
function clockFromEnvironment(): Pick<ServerOptions, 'clock' | 'requestTimeoutMs'> {
  const fixed = process.env.LSBAWS_FIXED_DATE;
  // LSBAWS_REQUEST_TIMEOUT_MS: a test's silent client is dropped (408) without waiting Part 2's 30 s.
  const timeout = process.env.LSBAWS_REQUEST_TIMEOUT_MS;
  return { ...(fixed ? { clock: () => new Date(fixed) } : {}), ...(timeout ? { requestTimeoutMs: Number(timeout) } : {}) };
}
// #endregion

// #region listen
/**
 * Creates the listening socket on `host`:`port` and resolves with the server
 * once it listens. Rejects with the system error (EADDRINUSE, ...).
 */
export function listen(port: number, host: string): Promise<Server> {
  // allowHalfOpen: a client that shuts down its sending side (nc -N) can still read our answer.
  // pauseOnConnect: the parent reads nothing, so every byte of the request is left for the child.
  // noDelay: as Part 2's server, no Nagle delay for a small body after the head (the option travels with the socket).
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
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

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { spec: string; port: number; host: string; quiet: boolean; maxChildren: number; child: boolean } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'max-children': { type: 'string' },
      child: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new Error('Provide a gateway application as module:export (e.g. npm run part3 -- 3h hello)');
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  const maxChildren = Number(values['max-children'] ?? DEFAULT_MAX_CHILDREN);
  if (!Number.isInteger(maxChildren) || maxChildren < 1) throw new Error(`--max-children must be a whole number, 1 or more, not '${values['max-children']}'`);
  return { spec: positionals[0]!, port, host: values.host ?? DEFAULT_HOST, quiet: values.quiet ?? false, maxChildren, child: values.child ?? false };
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
  const { spec, port, host, quiet } = options;
  const log = quiet ? {} : { log: (line: string) => console.log(line) };
  if (options.child) return serveChild(spec, { serverName: host, multiprocess: true, ...log, ...clockFromEnvironment() });
  try {
    await loadApplication(spec); // once, to fail here on a typo rather than in every child
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
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
  console.log(`GatewayServer: Serving HTTP on port ${typeof address === 'object' && address ? address.port : port} ...`);
  serveForever(server, [spec, '--host', host, ...(quiet ? ['--quiet'] : [])], options.maxChildren);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
