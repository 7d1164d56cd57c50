/**
 * Part 3's load client: the TypeScript rendition of lsbaws part3/client3.py.
 *
 * It starts --max-clients client processes (1), and each one opens
 * --max-conns connections (1024) at once, sends `GET /hello HTTP/1.1` on
 * each, and reads until the server closes. Then it reports what happened:
 * connections made, connections that failed and why (ECONNREFUSED,
 * ECONNRESET, EMFILE, ...), responses, how many ended, how long it took.
 * Whatever the server does, it stops after --timeout seconds (60), and it
 * only ever talks to the one --host and --port it is given.
 *
 * The original's client sends and never reads: its only point is to make
 * the server fork many children at once. This one reads the responses too,
 * so that it can tell whether they all came back, and whole.
 *
 * Like the forking servers, it forks itself: a client process is this file
 * run with --child, with no TypeScript loader (see scripts/part3.ts).
 *
 * Run it:   npm run part3:client -- --max-conns 128
 * Options:  --host H (localhost)  --port N (8888)  --max-clients N (1)
 *           --max-conns N (1024)  --timeout SECONDS (60)
 */
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 8888;
/**
 * The request every connection sends: the original's `GET /hello`, with the Host field HTTP/1.1
 * requires, and `Connection: close`, since this client reads until the server closes: a server
 * with persistent connections (3i) would otherwise keep it open (RFC 9112 §9.3, §9.6).
 */
export const REQUEST = Buffer.from(
  'GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
  'latin1',
);

/** What one client process saw. */
export interface Report {
  /** Connections established. */
  made: number;
  /** Connections that could not be made at all. */
  failed: number;
  /** Connections that received a status line. */
  responses: number;
  /** Connections the server closed after a response: the normal end. */
  ended: number;
  /** Connections the server closed or reset without any response. */
  empty: number;
  /** Connections still open when --timeout ran out. */
  open: number;
  /** Error codes, with how often each one came. */
  errors: Record<string, number>;
  /** Seconds from the first connect() to the last connection settled. */
  elapsed: number;
  /** Seconds each completed response took, from connect() to the end. */
  times: number[];
}

export interface ClientOptions {
  host: string;
  port: number;
  maxClients: number;
  maxConns: number;
  timeout: number;
}

const THIS_FILE = fileURLToPath(import.meta.url);
/** No loader for the client processes when this runs as JavaScript (scripts/part3.ts). */
const CHILD_EXEC_ARGV = THIS_FILE.endsWith('.ts') ? process.execArgv : [];
/**
 * No NODE_EXTRA_CA_CERTS either: plain HTTP needs no CA certificates, and
 * Node 20 parses that file at start-up.
 */
const { NODE_EXTRA_CA_CERTS: _certificates, ...CHILD_ENV } = process.env;

// #region main-client
/**
 * Forks `maxClients` client processes and adds up their reports. A client
 * process that dies without reporting is counted as an error, `client died`.
 */
export async function runClients(options: ClientOptions): Promise<Report> {
  const args = [
    '--child',
    '--host',
    options.host,
    '--port',
    String(options.port),
    '--max-conns',
    String(options.maxConns),
    '--timeout',
    String(options.timeout),
  ];
  const reports = await Promise.all(
    Array.from({ length: options.maxClients }, () => {
      const child = fork(THIS_FILE, args, {
        execArgv: CHILD_EXEC_ARGV,
        env: CHILD_ENV,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      return new Promise<Report>((resolve) => {
        let report: Report | undefined;
        child.once('message', (message) => (report = message as Report));
        // A client process that cannot be started (EAGAIN, EMFILE) or that crashes
        // still gets a line in the report.
        child.once('error', () => resolve(report ?? died()));
        child.once('exit', () => resolve(report ?? died()));
      });
    }),
  );
  return reports.reduce(addReports);
}
// #endregion

function died(): Report {
  return {
    made: 0,
    failed: 0,
    responses: 0,
    ended: 0,
    empty: 0,
    open: 0,
    errors: { 'client died': 1 },
    elapsed: 0,
    times: [],
  };
}

function addReports(a: Report, b: Report): Report {
  const errors = { ...a.errors };
  for (const [code, count] of Object.entries(b.errors)) errors[code] = (errors[code] ?? 0) + count;
  return {
    made: a.made + b.made,
    failed: a.failed + b.failed,
    responses: a.responses + b.responses,
    ended: a.ended + b.ended,
    empty: a.empty + b.empty,
    open: a.open + b.open,
    errors,
    elapsed: Math.max(a.elapsed, b.elapsed),
    times: [...a.times, ...b.times],
  };
}

// #region client
/**
 * One client process: opens `maxConns` connections at once, sends REQUEST on
 * each, reads each until the server closes it; after `timeout` seconds it
 * closes whatever is still open. Resolves with what it saw.
 */
export async function runClient(
  host: string,
  port: number,
  maxConns: number,
  timeout: number,
): Promise<Report> {
  const report: Report = {
    made: 0,
    failed: 0,
    responses: 0,
    ended: 0,
    empty: 0,
    open: 0,
    errors: {},
    elapsed: 0,
    times: [],
  };
  const started = performance.now();
  const open = new Set<() => void>(); // how to give up on each connection not yet settled
  const deadline = setTimeout(() => open.forEach((giveUp) => giveUp()), timeout * 1000);
  await Promise.all(
    Array.from({ length: maxConns }, () => oneConnection(host, port, report, open)),
  );
  clearTimeout(deadline);
  report.elapsed = (performance.now() - started) / 1000;
  return report;
}
// #endregion

// #region one-connection
/**
 * Connects, sends REQUEST, reads to the end; counts the outcome in `report`.
 * Puts its way to give up into `open` until it settles. Never rejects.
 */
function oneConnection(
  host: string,
  port: number,
  report: Report,
  open: Set<() => void>,
): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port });
    let connected = false;
    let head = '';
    let settled = false;
    function settle(outcome: Outcome): void {
      if (settled) return;
      settled = true;
      open.delete(giveUp);
      countOutcome(report, outcome, connected, head.startsWith('HTTP/'), started);
      socket.destroy();
      resolve();
    }
    const giveUp = (): void => settle('open');
    open.add(giveUp);
    socket.on('connect', () => {
      connected = true;
      report.made += 1;
      socket.write(REQUEST);
    });
    socket.on('data', (chunk: Buffer) => {
      if (head.length < 5) head += chunk.toString('latin1', 0, 5);
    });
    socket.on('end', () => settle('ended'));
    // Refused, reset, out of descriptors: exactly what this client is here to count.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      report.errors[code] = (report.errors[code] ?? 0) + 1;
      settle('error');
    });
    socket.on('close', () => settle('ended'));
  });
}
// #endregion

type Outcome = 'ended' | 'error' | 'open';

/** Counts how one connection ended in `report`; `started`: when it connected (ms). */
function countOutcome(
  report: Report,
  outcome: Outcome,
  connected: boolean,
  responded: boolean,
  started: number,
): void {
  if (responded) report.responses += 1;
  if (outcome === 'open') report.open += 1;
  else if (!connected) report.failed += 1;
  else if (!responded) report.empty += 1;
  else if (outcome === 'ended') {
    report.ended += 1;
    report.times.push((performance.now() - started) / 1000);
  }
}

/** The report as a person reads it. */
export function formatReport(report: Report, options: ClientOptions): string {
  const times = [...report.times].sort((a, b) => a - b);
  const median = times.length > 0 ? times[Math.floor(times.length / 2)]! : 0;
  const slowest = times.at(-1) ?? 0;
  const errors =
    Object.entries(report.errors)
      .map(([code, count]) => `${code} ${count}`)
      .join(', ') || 'none';
  const spread =
    times.length > 0
      ? `median response ${median.toFixed(2)} s, slowest ${slowest.toFixed(2)} s`
      : 'no response ended';
  const processes = `${options.maxClients} client process${options.maxClients === 1 ? '' : 'es'}`;
  return [
    `${processes} x ${options.maxConns} connections to ${options.host}:${options.port}, GET /hello`,
    `connected:        ${report.made}`,
    `failed:           ${report.failed}  (no connection at all)`,
    `responses:        ${report.responses}  (a status line came back)`,
    `ended:            ${report.ended}  (the server closed the connection after its response)`,
    `empty:            ${report.empty}  (the server closed or reset it without a response)`,
    `open at timeout:  ${report.open}  (still open after --timeout ${options.timeout} s)`,
    `errors:           ${errors}`,
    `elapsed:          ${report.elapsed.toFixed(2)} s  (${spread})`,
  ].join('\n');
}

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): ClientOptions & { child: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'max-clients': { type: 'string' },
      'max-conns': { type: 'string' },
      timeout: { type: 'string' },
      child: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--port must be a whole number from 1 to 65535, not '${values.port}'`);
  const count = (name: 'max-clients' | 'max-conns', fallback: number): number => {
    const value = Number(values[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`--${name} must be a whole number, 1 or more, not '${values[name]}'`);
    return value;
  };
  const timeout = Number(values.timeout ?? 60);
  if (!(timeout > 0))
    throw new Error(`--timeout must be a number of seconds above 0, not '${values.timeout}'`);
  return {
    host: values.host ?? DEFAULT_HOST,
    port,
    maxClients: count('max-clients', 1),
    maxConns: count('max-conns', 1024),
    timeout,
    child: values.child ?? false,
  };
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  if (options.child) {
    // The child's side (the original's `if pid == 0`): run, report to the parent, exit.
    const report = await runClient(options.host, options.port, options.maxConns, options.timeout);
    process.send!(report, () => process.exit(0));
    return;
  }
  console.log(formatReport(await runClients(options), options));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
