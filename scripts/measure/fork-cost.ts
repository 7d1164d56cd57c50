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
 * the child's own CPU time until then (process.cpuUsage(), which the child
 * sends); memory is read when it is ready (scripts/lib/processes.ts):
 * resident (RSS) and, from /proc on Linux only, private (not shared with any
 * other process). What this machine cannot measure is printed as such, never
 * as 0. Medians over the runs.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { bundle } from '../lib/bundle.ts';
import { median } from '../lib/median.ts';
import { REPO_ROOT } from '../lib/repo.ts';
import { INSPECTOR, memoryOf } from '../lib/processes.ts';

interface Sample {
  readyMs: number;
  cpuMs: number;
  /** NaN where it cannot be measured: no /proc or ps (rss), no /proc (private). */
  rssKb: number;
  privateKb: number;
}

/** Starts `file` as a child with `execArgv` and `env`, waits until it is ready, measures it, stops it. */
export async function measureChild(file: string, execArgv: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const started = performance.now();
  const child = fork(file, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', (error) => console.error(`fork: ${error.message}`)); // reported; the run then waits for 'message' and fails loudly
  const [ready] = (await once(child, 'message')) as [{ cpu: NodeJS.CpuUsage }];
  const readyMs = performance.now() - started;
  const memory = INSPECTOR ? memoryOf(child.pid!) : undefined;
  child.send('exit');
  await once(child, 'exit');
  return { readyMs, cpuMs: (ready.cpu.user + ready.cpu.system) / 1000, rssKb: memory?.rss ?? NaN, privateKb: memory?.private ?? NaN };
}

/** kB as MB, or `n/a` for what could not be measured. */
function mb(kb: number): string {
  return Number.isNaN(kb) ? 'n/a'.padStart(6) : `${(kb / 1024).toFixed(0).padStart(3)} MB`;
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
  // os.loadavg() is [0, 0, 0] on Windows, which has no load average.
  const load = process.platform === 'win32' ? 'no load average on Windows' : `load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}`;
  console.log(`${runs} runs each, one child at a time; medians. Node ${process.version}, ${load}`);
  if (!INSPECTOR) console.log(`Memory: not measured on ${process.platform} (it needs /proc, or ps as on macOS).`);
  else if (INSPECTOR === 'ps') console.log('Private memory: not measured without /proc (Linux only): RSS only.');
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
          `RSS ${mb(m('rssKb'))}, private ${mb(m('privateKb'))}`,
      );
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
