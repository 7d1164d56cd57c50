/**
 * Part 2 against node:http under ApacheBench, in alternating rounds:
 *
 *   npx tsx scripts/measure/ab-rounds.ts [--rounds 3] [--only keep-alive|close] [--pin]
 *
 * keep-alive: webserver2b.ts (hello:sized) and node:http's keep-alive baseline, each
 * `ab -k -n 50000 -c 10` (the same bytes, Content-Length included); close: webserver2.ts
 * (hello) and node:http with `Connection: close`, each `ab -n 20000 -c 10` (a connection per
 * request; neither sends a Content-Length, the close ends the body, as in `npm run bench`). The two servers of a
 * pair run side by side and take turns (A B A B ...), so drift in the machine's load falls on
 * both; read the ratio of each round, not the absolute rates. ApacheBench is a client written in
 * C: lighter than scripts/measure/load.ts, it leaves the server the bottleneck. Besides requests
 * per second, each line gives the server's CPU time (user + system) a request, from /proc (n/a
 * elsewhere), the steadier figure on a shared machine. Servers run bundled, as `npm run bench`
 * runs them. Needs `ab` on the PATH (apache2-utils, httpd-tools).
 *
 * `--pin` (Linux, two cores or more; `taskset` from util-linux): the servers run on CPU 0 and ab
 * on CPU 1, so that neither waits for the other's core and the scheduler cannot move them. On a
 * 2-core machine it steadies the ratios: here (7 December 2026, keep-alive) three unpinned rounds
 * gave 1.16, 0.66 and 0.79; three pinned ones 0.89, 0.90 and 0.92.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { startServer } from './server.ts';
import { cpuTimeOf } from '../lib/processes.ts';
import { buildApplication, buildProgram, bundle } from '../lib/bundle.ts';

/** One side of a pair: how to start it. */
interface Side {
  name: string;
  command: () => Promise<string[]>;
}

/** Two servers to alternate, and the ab arguments (without the URL) both get. */
interface Pair {
  name: string;
  ab: string[];
  requests: number;
  sides: [Side, Side];
}

const PAIRS: Pair[] = [
  {
    name: 'keep-alive',
    ab: ['-k', '-c', '10'],
    requests: 50_000,
    sides: [
      { name: 'webserver2b', command: async () => [await bundle('part2/webserver2b.ts'), await buildApplication('hello:sized'), '--quiet'] },
      { name: 'node:http', command: async () => [await buildProgram('baseline'), '--keep-alive'] },
    ],
  },
  {
    name: 'close',
    ab: ['-c', '10'],
    requests: 20_000,
    sides: [
      { name: 'webserver2', command: async () => [await bundle('part2/webserver2.ts'), await buildApplication('hello'), '--quiet'] },
      { name: 'node:http', command: async () => [await buildProgram('baseline')] },
    ],
  },
];

/** One ab run: requests a second and the server's CPU µs a request (undefined without /proc). */
function runAb(pid: number, port: number, args: string[], requests: number): { rate: number; cpuUs: number | undefined; failed: number } {
  const before = cpuTimeOf(pid);
  const ab = ['ab', '-q', ...args, '-n', String(requests), `http://127.0.0.1:${port}/`];
  const [program, ...rest] = pinned ? ['taskset', '-c', CLIENT_CPU, ...ab] : ab;
  const result = spawnSync(program!, rest, { encoding: 'utf8' });
  const after = cpuTimeOf(pid);
  if (result.status !== 0) throw new Error(`ab failed: ${result.stderr || result.error?.message}`);
  const rate = Number(/Requests per second:\s+([\d.]+)/.exec(result.stdout)?.[1]);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
  const cpuUs = before === undefined || after === undefined ? undefined : (after - before) / requests;
  return { rate, cpuUs, failed };
}

/** --pin: the CPUs the servers and ab run on (taskset -c). */
const SERVER_CPU = '0';
const CLIENT_CPU = '1';
let pinned = false;

/** Starts one side's server, on SERVER_CPU with --pin. */
async function start(side: Side): Promise<{ child: ChildProcess; port: number }> {
  const args = await side.command();
  if (!pinned) return startServer(args);
  return startServer(['-c', SERVER_CPU, process.execPath, ...args], 'taskset'); // taskset execs node: same pid
}

async function measurePair(pair: Pair, rounds: number): Promise<void> {
  const servers = await Promise.all(pair.sides.map(start));
  try {
    // Warm-up: V8 compiles the hot paths before we count.
    for (const { child, port } of servers) runAb(child.pid!, port, pair.ab, pair.requests / 5);
    for (let round = 1; round <= rounds; round++) {
      const results = servers.map(({ child, port }) => runAb(child.pid!, port, pair.ab, pair.requests));
      const shown = results.map((r, i) => {
        const cpu = r.cpuUs === undefined ? 'n/a' : `${r.cpuUs.toFixed(1)} µs`;
        return `${pair.sides[i]!.name} ${r.rate.toFixed(0)} req/s, ${cpu}${r.failed ? `, ${r.failed} failed` : ''}`;
      });
      console.log(`${pair.name} round ${round}: ${shown.join('; ')}; ratio ${(results[0]!.rate / results[1]!.rate).toFixed(2)}`);
    }
  } finally {
    for (const { child } of servers) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, only: { type: 'string' }, pin: { type: 'boolean', default: false } } });
  pinned = values.pin;
  if (pinned && (process.platform !== 'linux' || availableParallelism() < 2 || spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0)) {
    console.error('--pin needs Linux, two cores or more, and taskset (util-linux) on the PATH.');
    process.exit(2);
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number above 0, not '${values.rounds}'`);
  if (spawnSync('ab', ['-V'], { stdio: 'ignore' }).status !== 0) {
    console.error('ab (ApacheBench) is not on the PATH: install apache2-utils (Debian, Ubuntu) or httpd-tools.');
    process.exit(2);
  }
  const pairs = PAIRS.filter((pair) => !values.only || pair.name === values.only);
  if (pairs.length === 0) throw new Error(`--only is ${PAIRS.map((pair) => pair.name).join(' or ')}, not '${values.only}'`);
  for (const pair of pairs) await measurePair(pair, rounds);
}

await main();
