/**
 * Part 3, step 3i (beyond the original): a pre-forked pool. --workers
 * processes, started once, all accepting on the same listening socket.
 *
 * Forking per connection (3c-3h) pays for a process start on every request:
 * tens of milliseconds of CPU each, about 30 requests a second on two cores
 * where 3i serves thousands (part3/NOTES.md).
 * Apache's prefork MPM and gunicorn start their workers once, before the
 * first connection, and every worker accepts on the one listening socket;
 * the kernel gives each new connection to one of them. Changed since 3h:
 * each worker is a whole Part 2 server (makeServer), loads the application
 * once, and serves connection after connection, several at a time on its
 * event loop. The primary process serves nothing: it starts the workers,
 * replaces the ones that die, and stops them.
 *
 * The primary holds the listening socket for the life of the pool, as
 * gunicorn's arbiter does, and never accepts on it: the first worker creates
 * it and sends it to the primary over IPC, and the primary sends it to every
 * worker it starts (the hand-over of 3c, once per worker for the listening
 * socket instead of once per connection). Each worker accepts on it itself.
 * While no worker is alive, connections wait in the backlog, as in 3b; none
 * is refused. Node's cluster module could share the socket for us, but it
 * closes the socket when its last worker is gone, whatever the policy
 * (SCHED_NONE: the workers accept; SCHED_RR: the primary accepts every
 * connection and passes it on, 3c's hand-over on every request). So 3i
 * uses cluster to start and watch its workers, and shares the socket
 * itself; `--schedule rr` hands the sharing back to cluster's default, to
 * measure the difference, and then a pool with no worker left is refused.
 *
 * The primary
 * - starts --workers workers (default one per CPU: os.availableParallelism());
 * - replaces a worker that dies (a crash, a kill -9), unless it died before
 *   it ever listened, which no replacement would fix: then it stops. A
 *   worker that dies young is replaced after a delay that doubles with each
 *   one in a row (RESTART_DELAY_MS): never a fork storm;
 * - drains on SIGTERM: it closes its copy of the listening socket, and every
 *   worker stops accepting, finishes the requests it has, and exits; the
 *   primary exits 0 when all have (exit 1 if some are still busy after
 *   DRAIN_TIMEOUT_MS). Ctrl-C (SIGINT) stops all at once.
 * A worker exits by itself when the primary is gone, even after a kill -9,
 * or it would keep the port: when the IPC channel to the primary closes
 * ('disconnect'), a worker exits (Node's lib/internal/cluster/child.js does
 * this for every cluster worker), and one that finds the channel gone when
 * it speaks exits quietly too.
 *
 * See it:   npm run part3 -- 3i hello --quiet
 *           npm run part3:client               1024 connections, a few seconds
 *           ab -n 20000 -c 50 http://127.0.0.1:8888/hello
 *           kill -9 WORKER_PID                 another one takes its place
 *           kill PRIMARY_PID                   drains, then exits
 *           npm run part3 -- 3i part3/fixtures/crashapp.ts:app    then
 *              curl localhost:8888/die   a worker exits; the next waits for its replacement
 * Options:  --port N (8888)  --host H (localhost)  --quiet  --workers N (CPUs)
 *           --schedule shared|rr (shared)
 *           LSBAWS_FIXED_DATE=2019-07-15T05:54:48Z fixes the Date header (tests);
 *           LSBAWS_RESTART_DELAY_MAX_MS caps the restart delay (tests)
 */
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadApplication } from '../part2/loader.ts';
import { makeServer, type ServerOptions } from '../part2/webserver2b.ts';
import * as plumbing from './plumbing.ts';

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';
/** The listen backlog: client3 opens 1024 connections at once (Linux caps it at net.core.somaxconn). */
export const REQUEST_QUEUE_SIZE = 1024;
/**
 * How long a drain may take before the primary kills the workers still busy,
 * in ms: the time Part 2's server gives a client to send its request
 * (REQUEST_TIMEOUT_MS), plus a little for the response. systemd and
 * Kubernetes wait about as long (90 s, 30 s) before they kill.
 */
export const DRAIN_TIMEOUT_MS = 35_000;
/**
 * Restarting a worker that dies young. A start costs 30-60 ms of CPU
 * (part3/NOTES.md); a pool whose workers die as soon as they start (a bad
 * deploy, a request that crashes every worker, sent again and again) would
 * restart them back to back and keep both cores busy starting Node. So a
 * worker that dies within HEALTHY_AFTER_MS of its start is replaced after
 * RESTART_DELAY_MS, doubled for each such death in a row, at most
 * RESTART_DELAY_MAX_MS: then two workers restarting without end cost about a
 * tenth of a core, and clients meanwhile wait in the backlog for at most a
 * second more. One that lived longer is replaced at once, and the count of
 * young deaths starts again. In ms.
 */
export const HEALTHY_AFTER_MS = 5_000;
export const RESTART_DELAY_MS = 50;
export const RESTART_DELAY_MAX_MS = 1_000;

/** RESTART_DELAY_MAX_MS, or LSBAWS_RESTART_DELAY_MAX_MS: a test's sixty crashes need not wait a second each. */
function restartDelayMax(): number {
  return Number(process.env.LSBAWS_RESTART_DELAY_MAX_MS ?? RESTART_DELAY_MAX_MS);
}

// #region this-file
/**
 * The file every worker runs: this one, as the original's children did.
 * cluster.isPrimary plays the part of `if pid == 0`. Through `npm run part3`
 * it is plain JavaScript and the workers start without a loader.
 */
const THIS_FILE = fileURLToPath(import.meta.url);
const CHILD_EXEC_ARGV = THIS_FILE.endsWith('.ts') ? process.execArgv : [];
// #endregion

// #region serve-forever
/**
 * The primary's side: starts `workers` workers, holds the listening socket
 * and hands it to each, announces the port once all of them listen,
 * replaces workers that die, drains on SIGTERM.
 */
export function serveForever(workers: number, schedule: 'shared' | 'rr'): void {
  // Only for --schedule rr, where cluster shares the socket: SCHED_RR, the primary accepts.
  cluster.schedulingPolicy = schedule === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: THIS_FILE, execArgv: CHILD_EXEC_ARGV }); // and the same arguments as ours
  const alive = new Set<Worker>(); // cluster.workers keeps a worker until its IPC channel has closed too; we count exits
  const listened = new Set<number>(); // ids of the workers that have listened at least once
  const started = new Map<Worker, number>(); // when each was forked (performance.now(), ms)
  let listeningSocket: ListeningSocket | undefined; // ours for the life of the pool; we never accept on it
  let binder: Worker | undefined; // the worker creating the listening socket, if it is not made yet
  const waitingForSocket: Worker[] = [];
  let youngDeaths = 0; // workers in a row that died within HEALTHY_AFTER_MS
  let draining = false;

  /** Forks one worker. A fork that fails (EAGAIN, EMFILE) is reported; the pool goes on without it. */
  function startWorker(): void {
    if (draining) return;
    const worker = cluster.fork();
    alive.add(worker);
    started.set(worker, performance.now());
    worker.on('error', (error: NodeJS.ErrnoException) => console.error(`Worker ${worker.process.pid ?? '(not started)'}: ${error.code ?? error.message}`));
    worker.on('message', (message: unknown, handle?: ListeningSocket) => {
      if (message === 'ready') giveSocket(worker);
      else if (isListening(message)) onListening(worker, message.listening, handle);
    });
  }

  /**
   * Answers a worker that listens for messages ('ready'; 3c's sendConnection
   * says why it must ask): the listening socket, or the job of creating it.
   */
  function giveSocket(worker: Worker): void {
    if (schedule === 'rr') worker.send('share');
    else if (listeningSocket) worker.send('listen', listeningSocket as unknown as Server);
    else if (!binder) (binder = worker).send('bind');
    else waitingForSocket.push(worker);
  }

  function onListening(worker: Worker, port: number, handle: ListeningSocket | undefined): void {
    if (handle && !listeningSocket) {
      listeningSocket = handle;
      for (const waiting of waitingForSocket.splice(0)) giveSocket(waiting);
    }
    listened.add(worker.id);
    console.log(`Worker ${worker.process.pid} is accepting connections`);
    if (listened.size === workers) {
      console.log(`GatewayServer: Serving HTTP on port ${port} with ${workers} workers (primary PID ${process.pid}) ...`);
    }
  }

  /** Kills every worker and exits with `code`. */
  function stopAll(code: number): void {
    for (const worker of alive) worker.process.kill('SIGKILL');
    process.exit(code);
  }

  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker);
    const lived = Math.round(performance.now() - started.get(worker)!);
    started.delete(worker);
    if (binder === worker && !listeningSocket) binder = undefined;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    if (draining) {
      if (alive.size === 0) process.exit(0);
    } else if (!listened.has(worker.id)) {
      console.error(`Worker ${worker.process.pid} exited with ${how} before it could listen; stopping`);
      stopAll(1);
    } else if (lived >= HEALTHY_AFTER_MS) {
      youngDeaths = 0;
      console.error(`Worker ${worker.process.pid} terminated with ${how}; starting another`);
      startWorker();
    } else {
      youngDeaths += 1;
      const delay = Math.min(RESTART_DELAY_MS * 2 ** (youngDeaths - 1), restartDelayMax());
      console.error(`Worker ${worker.process.pid} terminated with ${how} after ${lived} ms (${youngDeaths} in a row died young); starting another in ${delay} ms`);
      setTimeout(startWorker, delay);
    }
  });

  process.on('SIGTERM', () => {
    if (draining) return;
    draining = true;
    console.log(`SIGTERM: draining ${alive.size} workers (no new connections; the requests under way finish)`);
    listeningSocket?.close(); // the workers' copies close as they drain: then the port is free
    // Each worker drains itself on SIGTERM (serveAsWorker). A SIGTERM to the
    // whole process group (systemd, a closing terminal) reaches them anyway.
    for (const worker of alive) worker.process.kill('SIGTERM');
    if (alive.size === 0) process.exit(0);
    setTimeout(() => {
      console.error(`Drain: workers still busy after ${DRAIN_TIMEOUT_MS} ms; killing them`);
      stopAll(1);
    }, DRAIN_TIMEOUT_MS).unref();
  });

  for (let i = 0; i < workers; i++) startWorker();
}
// #endregion

/**
 * The listening socket as the primary holds it: Node's handle for the
 * descriptor, without a net.Server around it, so nothing accepts on it.
 * A worker sends `server._handle`, not the server: Node passes a bare handle
 * as it is ('net.Native' in lib/internal/child_process.js), where a server
 * would be made into a listening net.Server on arrival, and accept.
 */
interface ListeningSocket {
  close(): void;
}

/** The message a worker sends once it accepts: `{ listening: PORT }`. */
function isListening(message: unknown): message is { listening: number } {
  return typeof message === 'object' && message !== null && 'listening' in message;
}

// #region serve-as-worker
/**
 * A worker's side: load the application once, ask the primary for the
 * listening socket, then serve with Part 2's server, for as long as the
 * primary lives. SIGTERM drains: stop accepting, finish, exit.
 */
export async function serveAsWorker(spec: string, port: number, host: string, options: ServerOptions): Promise<void> {
  const app = await loadApplication(spec);
  const server = makeServer(app, options);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(plumbing.explainListenError(error, port, host));
    process.exit(1); // before it ever listened: the primary stops the pool
  });
  const accepting = () => tellPrimary({ listening: (server.address() as { port: number }).port });
  process.on('message', (message: unknown, handle?: object) => {
    // The listening socket the primary holds: accept on it. Node calls listen(2) on it again,
    // with the backlog given here or its default of 511, which would replace ours.
    if (message === 'listen' && handle) server.listen(handle, REQUEST_QUEUE_SIZE, accepting);
    // The first worker creates it (exclusive: not through cluster) and sends the primary its handle.
    if (message === 'bind') {
      server.listen({ port, host, backlog: REQUEST_QUEUE_SIZE, exclusive: true }, () => {
        tellPrimary({ listening: (server.address() as { port: number }).port }, (server as unknown as { _handle: object })._handle);
      });
    }
    if (message === 'share') server.listen({ port, host, backlog: REQUEST_QUEUE_SIZE }, accepting); // --schedule rr: through cluster
  });
  tellPrimary('ready');
  // A SIGTERM, from the primary or to the whole process group (systemd does
  // that), drains: close() stops accepting and calls back once the last
  // connection has ended. Only then does the worker exit; the primary counts it.
  let draining = false;
  process.on('SIGTERM', () => {
    if (draining) return; // the primary's and the group's: one drain
    draining = true;
    server.close(() => process.exit(0));
  });
}
// #endregion

/**
 * Sends the primary `message` (and `handle`). A worker whose IPC channel has
 * gone (the primary died) exits quietly: Node would otherwise throw
 * ERR_IPC_CHANNEL_CLOSED, and there is no pool left to serve for.
 */
function tellPrimary(message: unknown, handle?: object): void {
  if (!process.connected) process.exit(0);
  process.send!(message, handle as Server | undefined, {}, (error: Error | null) => error && process.exit(0));
}

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { spec: string; port: number; host: string; quiet: boolean; workers: number; schedule: 'shared' | 'rr' } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      workers: { type: 'string' },
      schedule: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new Error('Provide a gateway application as module:export (e.g. npm run part3 -- 3i hello)');
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  const workers = Number(values.workers ?? availableParallelism());
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a whole number, 1 or more, not '${values.workers}'`);
  const schedule = values.schedule ?? 'shared';
  if (schedule !== 'shared' && schedule !== 'rr') throw new Error(`--schedule must be shared or rr, not '${schedule}'`);
  return { spec: positionals[0]!, port, host: values.host ?? DEFAULT_HOST, quiet: values.quiet ?? false, workers, schedule };
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
  if (cluster.isWorker) return serveAsWorker(spec, port, host, plumbing.gatewayOptions(host, quiet));
  await plumbing.loadOrExit(spec); // once, to fail here on a typo rather than in every worker
  if (host === '0.0.0.0' || host === '::') {
    console.error(`Warning: listening on every network interface (${host}): anyone who can reach this machine can connect.`);
  }
  serveForever(options.workers, options.schedule);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
