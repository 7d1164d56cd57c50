/**
 * What a child process costs: how long from fork() until a Node child is
 * ready to serve, and how much memory it holds then. Part 3's numbers
 * (part3/NOTES.md, the banners of its steps) come from here.
 *
 *   npx tsx scripts/measure/fork-cost.ts [--runs N]     (default 10, one child at a time)
 *
 * The child is scripts/measure/fork-probe.ts, which loads what a child of
 * webserver3h loads. It is started four ways:
 * - plain JavaScript (bundled by scripts/part3.ts), no loader: what the steps do;
 * - from TypeScript through tsx's loader: what a child inherits from a parent
 *   started by tsx, unless the parent passes `execArgv: []`;
 * and each of those with and without NODE_EXTRA_CA_CERTS in its environment,
 * which makes Node read and parse a file of CA certificates at start-up.
 *
 * "ready" is the time from fork() to the child's first IPC message; "cpu" is
 * the child's own CPU time until then (/proc/PID/stat); memory is read from
 * /proc when it is ready: resident (RSS) and private (not shared with any
 * other process). Medians over the runs.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { bundle, REPO_ROOT } from '../part3.ts';
import { memoryOf } from '../testing/processes.ts';

interface Sample {
  readyMs: number;
  cpuMs: number;
  rssKb: number;
  privateKb: number;
}

/** Clock ticks per second of /proc/PID/stat's CPU times: 100 on Linux (sysconf(_SC_CLK_TCK)). */
const TICKS_PER_SECOND = 100;

/** Starts `file` as a child with `execArgv` and `env`, waits until it is ready, measures it, stops it. */
export async function measureChild(file: string, execArgv: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const started = performance.now();
  const child = fork(file, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', (error) => console.error(`fork: ${error.message}`)); // reported; the run then waits for 'message' and fails loudly
  await once(child, 'message');
  const readyMs = performance.now() - started;
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const [utime, stime] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13).map(Number);
  const memory = memoryOf(child.pid!) ?? { rss: 0, private: 0 };
  child.send('exit');
  await once(child, 'exit');
  return { readyMs, cpuMs: ((utime! + stime!) * 1000) / TICKS_PER_SECOND, rssKb: memory.rss, privateKb: memory.private };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { runs: { type: 'string' } } });
  const runs = Number(values.runs ?? 10);
  const source = join(REPO_ROOT, 'scripts', 'measure', 'fork-probe.ts');
  const bundled = await bundle(source);
  // The flags tsx gave this process: its loader. A child inherits them unless told otherwise.
  const loader = process.execArgv;
  if (loader.length === 0) console.error('Run this through tsx (npx tsx scripts/measure/fork-cost.ts): it measures tsx-loaded children too.');
  const { NODE_EXTRA_CA_CERTS, ...withoutCerts } = process.env;
  const environments: Array<[string, NodeJS.ProcessEnv]> = NODE_EXTRA_CA_CERTS
    ? [
        ['NODE_EXTRA_CA_CERTS set', process.env],
        ['without it', withoutCerts],
      ]
    : [['(NODE_EXTRA_CA_CERTS not set)', process.env]];
  console.log(`${runs} runs each, one child at a time; medians. Node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (const [label, file, execArgv] of [
    ['plain JavaScript, execArgv: []', bundled, []],
    ['TypeScript through tsx', source, loader],
  ] as const) {
    for (const [envLabel, env] of environments) {
      const samples: Sample[] = [];
      for (let i = 0; i < runs; i++) samples.push(await measureChild(file, [...execArgv], env));
      const m = (key: keyof Sample) => median(samples.map((sample) => sample[key]));
      console.log(
        `${`${label}, ${envLabel}:`.padEnd(62)} ready ${m('readyMs').toFixed(0).padStart(4)} ms, cpu ${m('cpuMs').toFixed(0).padStart(4)} ms, ` +
          `RSS ${(m('rssKb') / 1024).toFixed(0).padStart(3)} MB, private ${(m('privateKb') / 1024).toFixed(0).padStart(3)} MB`,
      );
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
