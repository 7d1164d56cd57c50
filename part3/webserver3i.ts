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
 * Node's cluster module does the sharing. With cluster.SCHED_NONE the primary
 * creates the listening socket and sends its descriptor to each worker over
 * IPC (the hand-over of 3c, done once per worker for the listening socket
 * instead of once per connection); each worker listens and accepts on it
 * itself. Cluster's default on Linux, SCHED_RR, has the primary accept every
 * connection and pass it to the workers in turn: 3c's hand-over again, on
 * every request. `--schedule rr` lets you measure the difference.
 *
 * The primary
 * - starts --workers workers (default one per CPU: os.availableParallelism());
 * - replaces a worker that dies (a crash, a kill -9), unless it died before
 *   it ever listened, which no replacement would fix: then it stops;
 * - drains on SIGTERM: every worker stops accepting, finishes the requests
 *   it has, and exits; the primary exits 0 when all have (exit 1 if some are
 *   still busy after DRAIN_TIMEOUT_MS). Ctrl-C (SIGINT) stops all at once.
 * A worker exits by itself when the primary is gone, even after a kill -9,
 * or it would keep the port: when the IPC channel to the primary closes
 * ('disconnect'), a worker that was not asked to disconnect exits (Node's
 * lib/internal/cluster/child.js does this for every cluster worker).
 *
 * See it:   npm run part3 -- 3i hello --quiet
 *           npm run part3:client               1024 connections, a few seconds
 *           ab -n 20000 -c 50 http://127.0.0.1:8888/hello
 *           kill -9 WORKER_PID                 another one takes its place
 *           kill PRIMARY_PID                   drains, then exits
 * Options:  --port N (8888)  --host H (localhost)  --quiet  --workers N (CPUs)
 *           --schedule shared|rr (shared)
 *           LSBAWS_FIXED_DATE=2019-07-15T05:54:48Z fixes the Date header (tests)
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { explainListenError } from '../part1/webserver1.ts';
import { loadApplication } from '../part2/loader.ts';
import { makeServer, type ServerOptions } from '../part2/webserver2b.ts';

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
 * The primary's side: starts `workers` workers, announces the port once all
 * of them listen, replaces workers that die, drains on SIGTERM.
 */
export function serveForever(workers: number, schedule: 'shared' | 'rr'): void {
  // Must be set before the first fork. SCHED_NONE: the workers accept; SCHED_RR: the primary does.
  cluster.schedulingPolicy = schedule === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: THIS_FILE, execArgv: CHILD_EXEC_ARGV }); // and the same arguments as ours
  const alive = new Set<Worker>(); // cluster.workers keeps a worker until its IPC channel has closed too; we count exits
  const listened = new Set<number>(); // ids of the workers that have listened at least once
  let draining = false;

  /** Forks one worker. A fork that fails (EAGAIN, EMFILE) is reported; the pool goes on without it. */
  function startWorker(): void {
    const worker = cluster.fork();
    alive.add(worker);
    worker.on('error', (error: NodeJS.ErrnoException) => console.error(`Worker ${worker.process.pid ?? '(not started)'}: ${error.code ?? error.message}`));
  }

  /** Kills every worker and exits with `code`. */
  function stopAll(code: number): void {
    for (const worker of alive) worker.process.kill('SIGKILL');
    process.exit(code);
  }

  cluster.on('listening', (worker, address) => {
    listened.add(worker.id);
    console.log(`Worker ${worker.process.pid} is accepting connections`);
    if (listened.size === workers) {
      console.log(`GatewayServer: Serving HTTP on port ${address.port} with ${workers} workers (primary PID ${process.pid}) ...`);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker);
    const how = signal ? `signal ${signal}` : `status ${code}`;
    if (draining) {
      if (alive.size === 0) process.exit(0);
    } else if (!listened.has(worker.id)) {
      console.error(`Worker ${worker.process.pid} exited with ${how} before it could listen; stopping`);
      stopAll(1);
    } else {
      console.error(`Worker ${worker.process.pid} terminated with ${how}; starting another`);
      startWorker();
    }
  });

  process.on('SIGTERM', () => {
    if (draining) return;
    draining = true;
    console.log(`SIGTERM: draining ${alive.size} workers (no new connections; the requests under way finish)`);
    // Node docs, worker.disconnect(): the worker closes its servers, which stop
    // accepting and wait for their connections to end, then it exits.
    for (const worker of alive) worker.disconnect();
    setTimeout(() => {
      console.error(`Drain: workers still busy after ${DRAIN_TIMEOUT_MS} ms; killing them`);
      stopAll(1);
    }, DRAIN_TIMEOUT_MS).unref();
  });

  for (let i = 0; i < workers; i++) startWorker();
}
// #endregion

// #region serve-as-worker
/**
 * A worker's side: load the application once, then serve with Part 2's
 * server on the shared listening socket, for as long as the primary lives.
 */
export async function serveAsWorker(spec: string, port: number, host: string, options: ServerOptions): Promise<void> {
  const app = await loadApplication(spec);
  const server = makeServer(app, options);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(explainListenError(error, port, host));
    process.exit(1); // before it ever listened: the primary stops the pool
  });
  // A SIGTERM sent to the whole process group (systemd does) reaches the
  // workers too: each drains itself as the primary would have it do.
  process.on('SIGTERM', () => cluster.worker?.disconnect());
  server.listen({ port, host, backlog: REQUEST_QUEUE_SIZE });
}
// #endregion

// #region fixed-date
/**
 * The clock behind the Date header. Part 2's tests pass a fixed clock to the
 * server function; a test of this server talks to another process, so it
 * sets LSBAWS_FIXED_DATE (an ISO date) and every response says that date,
 * byte for byte repeatable. Without it, the real time.
 */
function clockFromEnvironment(): Pick<ServerOptions, 'clock'> {
  const fixed = process.env.LSBAWS_FIXED_DATE;
  return fixed ? { clock: () => new Date(fixed) } : {};
}
// #endregion

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
  const log = quiet ? {} : { log: (line: string) => console.log(line) };
  if (cluster.isWorker) return serveAsWorker(spec, port, host, { serverName: host, multiprocess: true, ...log, ...clockFromEnvironment() });
  try {
    await loadApplication(spec); // once, to fail here on a typo rather than in every worker
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
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
