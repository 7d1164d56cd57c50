/**
 * Part 3, step 3i (beyond the original): a pre-forked pool. --workers
 * processes, started once, all accepting on the same listening socket.
 *
 * Forking per connection (3c-3h) pays for a process start on every request
 * (part3/NOTES.md). Apache's prefork MPM and gunicorn start their workers
 * once, and every worker accepts on the one listening socket.
 * Changed since 3h: each worker is a whole Part 2 server (makeServer), loads
 * the application once, and serves connection after connection. The primary
 * serves nothing: it holds the listening socket (part3/shared-socket.ts), so
 * that while no worker is alive connections wait in the backlog, as in 3b;
 * it starts the workers, replaces the ones that die (after a delay that
 * doubles with each one in a row that died young: never a fork storm; and
 * not at all if one died before it ever listened: it stops), and on SIGTERM
 * drains: every worker stops accepting, finishes, and exits; the primary
 * exits 0 when all have (1 if some are busy after DRAIN_TIMEOUT_MS). Ctrl-C
 * stops all at once. A worker exits when its IPC channel to the primary
 * closes ('disconnect'; Node's lib/internal/cluster/child.js), even after a
 * kill -9 of the primary, or it would keep the port.
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
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadApplication } from '../part2/loader.ts';
import { makeServer } from '../part2/webserver2b.ts';
import * as plumbing from './plumbing.ts';
import * as sharing from './shared-socket.ts';

/** The listen backlog: client3 opens 1024 connections at once (Linux caps it at somaxconn). */
export const REQUEST_QUEUE_SIZE = 1024;
/**
 * How long a drain may take before the primary kills the workers still busy, in ms:
 * Part 2's REQUEST_TIMEOUT_MS and a little more (systemd waits 90 s, Kubernetes 30 s).
 */
export const DRAIN_TIMEOUT_MS = 35_000;
/**
 * A worker that dies within HEALTHY_AFTER_MS of its start is replaced after RESTART_DELAY_MS,
 * doubled for each such death in a row, at most RESTART_DELAY_MAX_MS: at 30-200 ms of CPU a
 * start (NOTES.md), two workers restarting for ever cost a tenth of a core, not two. In ms.
 */
export const HEALTHY_AFTER_MS = 5_000;
export const RESTART_DELAY_MS = 50;
export const RESTART_DELAY_MAX_MS = Number(process.env.LSBAWS_RESTART_DELAY_MAX_MS ?? 1_000);

// #region serve-forever
/** The primary's state, one object: gunicorn's Arbiter keeps the same in its attributes. */
interface Pool {
  size: number; // how many workers to keep alive (--workers)
  /** The workers alive, with when each was forked (performance.now(), ms). */
  alive: Map<Worker, number>;
  /** The ids of the workers that have listened at least once. */
  listened: Set<number>;
  /** The listening socket and who waits for it (part3/shared-socket.ts). */
  socket: sharing.SocketSharing;
  /** How many workers in a row died within HEALTHY_AFTER_MS. */
  youngDeaths: number;
  /** SIGTERM came: no worker is started any more; the last one's exit ends the pool. */
  draining: boolean;
}

/**
 * The primary's side, gunicorn's arbiter distilled: starts `size` workers
 * running this file (cluster.isPrimary plays the part of `if pid == 0`),
 * replaces those that die, drains on SIGTERM.
 */
export function serveForever(size: number, schedule: 'shared' | 'rr'): void {
  // Only for --schedule rr, where cluster shares the socket: SCHED_RR, the primary accepts.
  cluster.schedulingPolicy = schedule === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  // Through `npm run part3` this file is plain JavaScript: the workers start without a loader.
  const execArgv = process.argv[1]!.endsWith('.ts') ? process.execArgv : [];
  cluster.setupPrimary({ exec: process.argv[1]!, execArgv });
  const socket = { schedule, waiting: [] };
  const pool: Pool = {
    size,
    alive: new Map(),
    listened: new Set(),
    socket,
    youngDeaths: 0,
    draining: false,
  };
  // The reaper of 3f: 'exit' comes for each worker libuv has reaped; we count exits.
  cluster.on('exit', (worker, code, signal) =>
    reapWorker(pool, worker, signal ?? `status ${code}`),
  );
  process.on('SIGTERM', () => handleTerm(pool));
  for (let i = 0; i < size; i++) spawnWorker(pool);
}

/** Forks one worker. A fork that fails (EAGAIN, EMFILE) is reported; the pool goes on. */
function spawnWorker(pool: Pool): void {
  if (pool.draining) return;
  const worker = cluster.fork();
  pool.alive.set(worker, performance.now());
  worker.on('error', (error: NodeJS.ErrnoException) => {
    console.error(
      `Worker ${worker.process.pid ?? '(not started)'}: ${error.code ?? error.message}`,
    );
  });
  worker.on('message', (message: unknown, handle?: sharing.ListeningSocket) => {
    if (message === 'ready') sharing.giveSocket(pool.socket, worker);
    if (sharing.isListening(message)) onListening(pool, worker, message.listening, handle);
  });
}

/** A worker accepts; announce the port once all do. The first one's `handle` is the socket. */
function onListening(pool: Pool, worker: Worker, port: number, handle?: sharing.ListeningSocket) {
  sharing.keepSocket(pool.socket, handle);
  pool.listened.add(worker.id);
  console.log(`Worker ${worker.process.pid} is accepting connections`);
  if (pool.listened.size !== pool.size) return;
  const workers = `${pool.size} workers (primary PID ${process.pid})`;
  console.log(`GatewayServer: Serving HTTP on port ${port} with ${workers} ...`);
}

/**
 * Runs when a worker has exited and libuv has reaped it: while draining,
 * the last one ends the pool; one that died before it ever listened would
 * die again (a port taken, a broken application), so the pool stops; any
 * other is replaced. `how`: a signal's name, or `status N`.
 */
function reapWorker(pool: Pool, worker: Worker, how: string): void {
  const lived = Math.round(performance.now() - pool.alive.get(worker)!);
  pool.alive.delete(worker);
  how = how.startsWith('SIG') ? `signal ${how}` : how;
  if (pool.socket.binder === worker && !pool.socket.listeningSocket) pool.socket.binder = undefined;
  if (pool.draining) {
    if (pool.alive.size === 0) process.exit(0);
  } else if (!pool.listened.has(worker.id)) {
    console.error(
      `Worker ${worker.process.pid} exited with ${how} before it could listen; stopping`,
    );
    stop(pool, 1);
  } else {
    replaceWorker(pool, `Worker ${worker.process.pid} terminated with ${how}`, lived);
  }
}

/** Starts another worker for one that died after `lived` ms: at once, or later if it died young. */
function replaceWorker(pool: Pool, died: string, lived: number): void {
  if (lived >= HEALTHY_AFTER_MS) {
    pool.youngDeaths = 0;
    console.error(`${died}; starting another`);
    return spawnWorker(pool);
  }
  pool.youngDeaths += 1;
  const delay = Math.min(RESTART_DELAY_MS * 2 ** (pool.youngDeaths - 1), RESTART_DELAY_MAX_MS);
  const young = `${pool.youngDeaths} in a row died young`;
  console.error(`${died} after ${lived} ms (${young}); starting another in ${delay} ms`);
  setTimeout(() => spawnWorker(pool), delay);
}

/** SIGTERM: drain. No new connections, the requests under way finish; DRAIN_TIMEOUT_MS at most. */
function handleTerm(pool: Pool): void {
  if (pool.draining) return;
  pool.draining = true;
  const size = pool.alive.size;
  console.log(
    `SIGTERM: draining ${size} workers (no new connections; the requests under way finish)`,
  );
  pool.socket.listeningSocket?.close(); // the workers' copies close as they drain: the port is free
  // Each worker drains itself on SIGTERM (serveAsWorker); a SIGTERM to the group reaches it anyway.
  for (const worker of pool.alive.keys()) worker.process.kill('SIGTERM');
  if (pool.alive.size === 0) process.exit(0);
  setTimeout(() => {
    console.error(`Drain: workers still busy after ${DRAIN_TIMEOUT_MS} ms; killing them`);
    stop(pool, 1);
  }, DRAIN_TIMEOUT_MS).unref();
}

/** Kills every worker and exits with `code`. */
function stop(pool: Pool, code: number): void {
  for (const worker of pool.alive.keys()) worker.process.kill('SIGKILL');
  process.exit(code);
}
// #endregion

// #region serve-as-worker
/**
 * A worker's side: load the application once, ask the primary for the
 * listening socket, then serve with Part 2's server, for as long as the
 * primary lives. SIGTERM drains: stop accepting, finish, exit.
 */
export async function serveAsWorker(
  spec: string,
  port: number,
  host: string,
  options: plumbing.ServerOptions,
): Promise<void> {
  const server = makeServer(await loadApplication(spec), options);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(plumbing.explainListenError(error, port, host));
    process.exit(1); // before it ever listened: the primary stops the pool
  });
  const address = { port, host, backlog: REQUEST_QUEUE_SIZE };
  process.on('message', (message, handle) =>
    sharing.listenAsTold(server, message, handle, address),
  );
  sharing.tellPrimary('ready');
  // A SIGTERM, from the primary or to the whole process group (systemd), drains: close()
  // stops accepting and calls back once the last connection has ended; then the worker exits.
  let draining = false;
  process.on('SIGTERM', () => {
    if (draining) return; // the primary's and the group's: one drain
    draining = true;
    server.close(() => process.exit(0));
  });
}
// #endregion

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...plumbing.PORT_AND_HOST,
      quiet: { type: 'boolean', default: false },
      workers: { type: 'string' },
      schedule: { type: 'string', default: 'shared' },
    },
  });
  const schedule = values.schedule;
  if (schedule !== 'shared' && schedule !== 'rr') {
    throw new Error(`--schedule must be shared or rr, not '${schedule}'`);
  }
  return {
    ...plumbing.portAndHost(values),
    spec: plumbing.applicationSpec(positionals, '3i'),
    quiet: values.quiet,
    workers: plumbing.count(values.workers, 'workers', availableParallelism()),
    schedule: schedule as 'shared' | 'rr',
  };
}

// #region main
async function main(): Promise<void> {
  const { spec, port, host, quiet, workers, schedule } = plumbing.optionsOrExit(parseOptions);
  if (cluster.isWorker) {
    return serveAsWorker(spec, port, host, plumbing.gatewayOptions(host, quiet));
  }
  await plumbing.loadOrExit(spec); // once, to fail here on a typo rather than in every worker
  plumbing.warnOnEveryInterface(host);
  serveForever(workers, schedule);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (plumbing.isProgram(import.meta.url)) await main();
