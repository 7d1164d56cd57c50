/**
 * The engine of `npm run bench` (scripts/bench.ts): the same bounded load against each of the
 * course's concurrency models, one
 * after the other, all on 127.0.0.1: Part 1, Part 2's gateway (Node's single
 * process and event loop), 3a (iterative), 3g (a child process per
 * connection), 3i (a pre-forked pool), and node:http as the yardstick, with a
 * new connection per request; then with keep-alive (many requests on one
 * connection): node:http, Part 2b (webserver2b.ts) and 3i, whose workers run it;
 * and, when python3 is on the PATH, the original's model as a few lines of
 * Python (python-loop.py: accept, read, send, close), the yardstick of
 * connection-per-request ("not measured" without it), also with 3a's
 * listen(5); and node:net's floor (net-floor.ts: write on the first read,
 * close), the least any server on node:net pays a connection.
 *
 * --rounds N measures every model N times, alternating (part1, part2, ...,
 * then again), and reports each model's median round: on a shared, loaded
 * machine the load drifts, and alternating spreads the drift over all models.
 *
 * Every server runs as plain JavaScript bundled by esbuild (scripts/lib/bundle.ts),
 * never through the TypeScript loader, so the figures are the servers' own.
 * For each: requests/s, p50 and p99 latency, failed requests, and the peak
 * memory of the server's whole process tree (where there is /proc or ps to
 * read it from; elsewhere it says so). Prints a table, and writes the figures
 * as JSON and a chart to .bench/ (ignored by git). With --update, a full run
 * writes them to docs/bench/bench.json and docs/diagrams/part3-bench.svg
 * instead, the committed figures the Part 3 lesson shows; then
 * `npm run docs -- --fix` brings the lesson's table in step (its
 * ```` ```text bench=docs/bench/bench.json ```` block).
 * A script, not a test: run it on a quiet machine, and read ratios, not
 * absolute numbers.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { runLoad } from './load.ts';
import { startServer } from './server.ts';
import { cpuTimeOf, INSPECTOR, memoryOf, processTree } from '../lib/processes.ts';
import type { BenchResults, Figures } from '../lib/bench-figures.ts';
import { buildApplication, buildProgram, bundle } from '../lib/bundle.ts';
import { REPO_ROOT } from '../lib/repo.ts';

/** One model under test: how to start it, and how much load it gets. */
interface Model {
  name: string;
  about: string;
  /** The JavaScript to run and its arguments; `--port 0 --host 127.0.0.1` are added. */
  command: () => Promise<string[]>;
  /** The program that runs it. Default: this Node. */
  program?: string;
  keepAlive: boolean;
  /** Bounds of the load: whichever comes first. A fork per connection is slow, so it gets fewer requests. */
  requests: number;
  durationMs: number;
}

/** Clients sending at once: enough to keep a pool busy, as the original's client3 does with its processes. */
const CONCURRENCY = 50;

const MODELS: Model[] = [
  { name: 'part1', about: 'Part 1: raw socket, event loop', command: async () => [await bundle('part1/webserver1b.ts')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'part2', about: "Part 2: gateway, Node's event loop", command: async () => [await bundle('part2/webserver2.ts'), await buildApplication('hello'), '--quiet'], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: '3a', about: '3a: iterative, one at a time', command: async () => [await buildProgram('3a')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: '3g', about: '3g: a child process per connection', command: async () => [await buildProgram('3g')], keepAlive: false, requests: 400, durationMs: 20_000 },
  { name: '3i', about: '3i: pre-forked pool', command: async () => [await buildProgram('3i'), await buildApplication('hello'), '--quiet'], keepAlive: false, requests: 40_000, durationMs: 8_000 },
  { name: 'node:http', about: 'node:http, Connection: close', command: async () => [await buildProgram('baseline')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'part2-express', about: 'Express on the Part 2 gateway', command: async () => [await bundle('part2/webserver2.ts'), await buildApplication('expressapp'), '--quiet'], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'http-express', about: 'Express on node:http', command: async () => [await bundle('scripts/measure/express-http.ts', undefined, { withRequire: true })], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'python', about: 'Python loop: read, send, close', program: 'python3', command: async () => [join(REPO_ROOT, 'scripts', 'measure', 'python-loop.py')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  // 3a keeps the original's listen(5): this is the Python loop with that same backlog, 3a's yardstick.
  { name: 'python-5', about: 'Python loop, listen(5), as 3a', program: 'python3', command: async () => [join(REPO_ROOT, 'scripts', 'measure', 'python-loop.py'), '--backlog', '5'], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  // The least any node:net server pays a connection: how far each of ours is from what Node allows.
  { name: 'node:net', about: 'node:net floor: write, close', command: async () => [await buildProgram('net-floor')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'node:http keep-alive', about: 'node:http, keep-alive', command: async () => [await buildProgram('baseline'), '--keep-alive'], keepAlive: true, requests: 40_000, durationMs: 8_000 },
  // Persistent connections (webserver2b.ts), with hello:sized: the same bytes as node:http's keep-alive baseline, Content-Length included.
  { name: 'part2b keep-alive', about: 'Part 2b: gateway, keep-alive', command: async () => [await bundle('part2/webserver2b.ts'), await buildApplication('hello:sized'), '--quiet'], keepAlive: true, requests: 40_000, durationMs: 8_000 },
  { name: 'node:net keep-alive', about: 'node:net floor, keep-alive', command: async () => [await buildProgram('net-floor'), '--keep-alive'], keepAlive: true, requests: 40_000, durationMs: 8_000 },
  { name: '3i keep-alive', about: '3i: pre-forked pool, keep-alive', command: async () => [await buildProgram('3i'), await buildApplication('hello:sized'), '--quiet'], keepAlive: true, requests: 40_000, durationMs: 8_000 },
];

async function measure(model: Model): Promise<Figures> {
  const { child, port } = await startServer(await model.command(), model.program);
  let peakRss = 0;
  let peakProcesses = 0;
  // Without /proc or ps (Windows) there is nothing to sample: the figures say null, not 0.
  const sample = () => {
    if (!INSPECTOR) return;
    const tree = processTree(child.pid!);
    peakProcesses = Math.max(peakProcesses, tree.length);
    peakRss = Math.max(peakRss, tree.reduce((sum, process) => sum + (memoryOf(process.pid)?.rss ?? 0), 0));
  };
  // Every 100 ms, and once at the end of the load: a fast model can finish before the first tick.
  const sampler = setInterval(sample, 100);
  try {
    // A short warm-up, so that V8 has compiled the hot paths before we count.
    await runLoad({ host: '127.0.0.1', port, path: '/hello', concurrency: 4, requests: 200, durationMs: 2000, keepAlive: model.keepAlive });
    const serverBefore = treeCpu(child.pid!);
    const clientBefore = process.cpuUsage();
    const result = await runLoad({ host: '127.0.0.1', port, path: '/hello', concurrency: CONCURRENCY, requests: model.requests, durationMs: model.durationMs, keepAlive: model.keepAlive });
    const client = process.cpuUsage(clientBefore);
    const serverAfter = treeCpu(child.pid!);
    sample();
    const perRequest = (us: number | undefined) => (us === undefined || result.ok === 0 ? null : us / result.ok);
    const serverCpuUs = perRequest(serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore);
    const clientCpuUs = perRequest(INSPECTOR === 'proc' ? client.user + client.system : undefined);
    return { name: model.name, about: model.about, keepAlive: model.keepAlive, ...result, peakRssMiB: INSPECTOR ? peakRss / 1024 : null, peakProcesses: INSPECTOR ? peakProcesses : null, serverCpuUs, clientCpuUs };
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

/** What `npm run bench` asks for: which models (all when undefined), how many rounds, --quick. */
export interface BenchOptions {
  only?: string[];
  rounds: number;
  quick: boolean;
}

/**
 * Measures each model `rounds` times, alternating, and returns each model's median round, with
 * progress on stderr. The Python loop is left out (and said so) when python3 is not on the PATH.
 * @throws Error naming the models there are, when `only` names none of them.
 */
export async function runBench({ only, rounds, quick }: BenchOptions): Promise<BenchResults> {
  const python = hasPython();
  if (!python) console.error('python3 is not on the PATH: the Python loop is not measured.');
  const models = MODELS.filter((model) => (!only || only.includes(model.name)) && (python || model.program !== 'python3'));
  if (models.length === 0) throw new Error(`No such model: pick from ${MODELS.map((m) => m.name).join(', ')}`);
  if (!INSPECTOR) console.error(`Peak memory and processes: not measured on ${process.platform} (no /proc, no ps); the table says n/a.`);
  const measured = new Map<Model, Figures[]>(models.map((model) => [model, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const model of models) {
      const scaled = quick ? { ...model, requests: Math.ceil(model.requests / 10), durationMs: 2_000 } : model;
      process.stderr.write(`${rounds > 1 ? `round ${round}: ` : ''}${model.about} ... `);
      const result = await measure(scaled);
      process.stderr.write(`${result.requestsPerSecond.toFixed(0)} req/s\n`);
      measured.get(model)!.push(result);
    }
  }
  const figures = [...measured.values()].map(medianRound);
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  return { date: new Date().toISOString(), machine, concurrency: CONCURRENCY, figures, ...(rounds > 1 ? { rounds } : {}), ...(python || only ? {} : { notMeasured: ['Python loop: python3 is not on the PATH'] }) };
}

/**
 * CPU time of a server's process tree so far, in µs (cpuTimeOf each process; the root's includes
 * the children it has reaped). undefined without /proc.
 */
function treeCpu(pid: number): number | undefined {
  const times = [pid, ...processTree(pid).map((p) => p.pid).filter((p) => p !== pid)].map(cpuTimeOf);
  return times[0] === undefined ? undefined : times.reduce<number>((sum, t) => sum + (t ?? 0), 0);
}

/** The round with the median requests/s (of an even count, the lower middle), whole: its latencies belong to it. */
function medianRound(rounds: Figures[]): Figures {
  const sorted = [...rounds].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** True when python3 runs here. */
function hasPython(): boolean {
  return spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
}
