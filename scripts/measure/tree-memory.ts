/**
 * Samples the memory of a process and all its descendants until it exits
 * (or Ctrl-C), then prints the peaks: the most processes at once, the
 * largest sum of resident memory (RSS, as ps counts it), and the largest sum
 * of private memory (what the tree costs beyond one shared copy of Node).
 *
 *   npx tsx scripts/measure/tree-memory.ts PID [--every MS]      (default every 50 ms)
 *
 * Used to measure Part 3's servers under client3's load (part3/NOTES.md).
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { INSPECTOR, memoryOf, processInfo, processTree } from '../lib/processes.ts';

/** The peaks seen so far. */
export interface Peaks {
  processes: number;
  rssKb: number;
  privateKb: number;
  samples: number;
}

/** Takes one sample of the tree under `pid` and raises `peaks` where it is higher. */
export function sample(pid: number, peaks: Peaks): void {
  let rss = 0;
  let own = 0;
  const tree = processTree(pid).filter((info) => info.state !== 'Z');
  for (const { pid: member } of tree) {
    const memory = memoryOf(member);
    rss += memory?.rss ?? 0;
    own += memory?.private ?? 0;
  }
  peaks.processes = Math.max(peaks.processes, tree.length);
  peaks.rssKb = Math.max(peaks.rssKb, rss);
  peaks.privateKb = Math.max(peaks.privateKb, own);
  peaks.samples += 1;
}

function report(peaks: Peaks): string {
  const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
  // ps has no private memory: say so rather than print a sum of nothing.
  const own = INSPECTOR === 'proc' ? mb(peaks.privateKb) : 'n/a (needs /proc: Linux)';
  return `peak: ${peaks.processes} processes, RSS sum ${mb(peaks.rssKb)}, private sum ${own} (${peaks.samples} samples)`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { every: { type: 'string' } } });
  const pid = Number(positionals[0]);
  if (!Number.isInteger(pid) || !processInfo(pid)) {
    console.error('Usage: npx tsx scripts/measure/tree-memory.ts PID [--every MS]   (PID of a running process)');
    process.exit(2);
  }
  const every = Number(values.every ?? 50);
  const peaks: Peaks = { processes: 0, rssKb: 0, privateKb: 0, samples: 0 };
  const done = () => {
    console.log(report(peaks));
    process.exit(0);
  };
  process.on('SIGINT', done);
  process.on('SIGTERM', done);
  while (processInfo(pid)) {
    sample(pid, peaks);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  done();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
