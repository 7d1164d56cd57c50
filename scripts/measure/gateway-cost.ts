/**
 * What Part 2b's own code costs a request, apart from the socket: the bundled
 * webserver2b.ts serves one persistent connection whose socket is a stand-in
 * (an EventEmitter that takes writes and counts them), fed the same request
 * again and again. What it prints is the CPU time of the reader, the decoder,
 * environ, the application and the response head together, in ns a request,
 * with no system call and no kernel in it: the part of `npm run bench`'s
 * "server µs" for Part 2b that is ours rather than Node's socket layer
 * (node:net's floor row is that layer).
 *
 *   npx tsx scripts/measure/gateway-cost.ts [--requests N] [--request bench|ab] [--against REF]
 *
 * `bench` is the request scripts/measure/load.ts sends (one header field),
 * `ab` the one ApacheBench sends (HTTP/1.0, four fields). The median and the least of 5 runs.
 * `--against REF` (a git ref, e.g. `main`) is an A/B of the working tree's Part 2 against REF's:
 * --rounds rounds (5), each one run of either in a fresh process, which goes first alternating,
 * so a busy spell of the machine falls on both; it prints both medians and their difference.
 * For a profile, run it as `node --cpu-prof --import tsx scripts/measure/gateway-cost.ts`:
 * the bundle is what runs, so the profile names the bundle's functions.
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApplication, BUILD_DIR, bundle } from '../lib/bundle.ts';
import { median } from '../lib/median.ts';
import { REPO_ROOT } from '../lib/repo.ts';

/** The requests to feed, byte for byte as the two load generators send them. */
export const REQUESTS = {
  bench: 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\r\n',
  ab: 'GET /hello HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 127.0.0.1:8888\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n',
};

/**
 * Just enough of a net.Socket for handleConnection: bytes in (paused mode: feed() queues them and
 * says 'readable', read() hands them out), writes counted, never closed.
 */
class StandInSocket extends EventEmitter {
  remoteAddress = '127.0.0.1';
  destroyed = false;
  readableEnded = false;
  writableEnded = false;
  writableLength = 0;
  writes = 0;
  private paused = false;
  private readonly queue: Buffer[] = [];
  get readableLength(): number { return this.queue.reduce((sum, bytes) => sum + bytes.length, 0); }
  feed(bytes: Buffer): void { this.queue.push(bytes); this.emit('readable'); }
  read(): Buffer | null { return this.queue.shift() ?? null; }
  write(_bytes: unknown, encodingOrCallback?: unknown, callback?: () => void): boolean {
    this.writes++;
    (typeof encodingOrCallback === 'function' ? encodingOrCallback : callback)?.();
    return true;
  }
  isPaused(): boolean { return this.paused; }
  pause(): this { this.paused = true; return this; }
  resume(): this { this.paused = false; return this; }
  setTimeout(): this { return this; }
  end(): this { this.writableEnded = true; return this; }
  destroy(): this { this.destroyed = true; this.emit('close'); return this; }
}

/**
 * Feeds `requests` copies of `request` to one connection of the bundled Part 2b serving the hello
 * app's `sized` export; resolves with ns a request and writes a request (1: head and body in one).
 */
export async function measureGatewayCost(request: string, requests: number, serverBundle?: string): Promise<{ nsPerRequest: number; writesPerRequest: number }> {
  const server = await import(pathToFileURL(serverBundle ?? (await bundle('part2/webserver2b.ts'))).href);
  const [appFile, exportName] = (await buildApplication('hello:sized')).split(/:(?=[^:]*$)/);
  const app = (await import(pathToFileURL(appFile!).href))[exportName!];
  const socket = new StandInSocket();
  const settings = { serverPort: '8888', maxRequestsPerConnection: Number.MAX_SAFE_INTEGER, date: () => 'Wed, 02 Dec 2026 06:00:00 GMT', errors: () => {} };
  void server.handleConnection(socket, app, settings);
  const bytes = Buffer.from(request, 'latin1');
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const feed = async (n: number) => {
    for (let i = 1; i <= n; i++) {
      socket.feed(bytes);
      if (i % 64 === 0) await turn(); // let the responses' promises settle, as the event loop would
    }
    await turn();
  };
  await feed(Math.min(requests, 50_000)); // warm-up: V8 compiles the hot paths
  const writes = socket.writes;
  // CPU time (user + system), not the wall clock: on a shared machine the wall clock also counts
  // the turns other processes get while this one waits for a core.
  const started = process.cpuUsage();
  await feed(requests);
  const { user, system } = process.cpuUsage(started);
  const ns = (user + system) * 1000;
  return { nsPerRequest: ns / requests, writesPerRequest: (socket.writes - writes) / requests };
}

/** Bundles REF's webserver2b.ts (its part1/ and part2/, from git) beside the working tree's. */
async function bundleRef(ref: string): Promise<string> {
  const tree = join(BUILD_DIR, 'gateway-cost-ref');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  const archive = execFileSync('git', ['archive', ref, 'part1', 'part2'], { cwd: REPO_ROOT, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', tree], { input: archive });
  return bundle(join(tree, 'part2', 'webserver2b.ts'), 'webserver2b-ref.mjs');
}

/** One run in a fresh process (no JIT state shared with the other side): ns a request. */
function runApart(serverBundle: string, request: string, requests: string): number {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--bundle', serverBundle, '--request', request, '--requests', requests];
  return Number(execFileSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim());
}

/** --against REF: alternating rounds of REF's Part 2b and the working tree's, CPU ns a request. */
async function compare(ref: string, request: string, requests: string, rounds: number): Promise<void> {
  const sides = { [ref]: await bundleRef(ref), 'working tree': await bundle('part2/webserver2b.ts') };
  const names = Object.keys(sides);
  const runs: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) runs[name]!.push(runApart(sides[name]!, request, requests));
    console.log(`round ${round + 1}: ${names.map((name) => `${name} ${runs[name]!.at(-1)!.toFixed(0)} ns`).join(', ')}`);
  }
  const [base, candidate] = names.map((name) => median(runs[name]!));
  // Each round's own difference too: a busy spell lifts both runs of a round, not the difference.
  const paired = median(runs[names[1]!]!.map((ns, round) => ns - runs[ref]![round]!));
  console.log(`medians of ${rounds} rounds of ${requests} (${request}): ${ref} ${base!.toFixed(0)} ns, working tree ${candidate!.toFixed(0)} ns a request; difference ${(candidate! - base!).toFixed(0)} ns, median of the rounds' differences ${paired.toFixed(0)} ns`);
}

async function main(): Promise<void> {
  const options = { requests: { type: 'string', default: '300000' }, request: { type: 'string', default: 'bench' }, against: { type: 'string' }, rounds: { type: 'string', default: '5' }, bundle: { type: 'string' } } as const;
  const { values } = parseArgs({ options });
  const request = REQUESTS[values.request as keyof typeof REQUESTS];
  if (!request) throw new Error(`--request is bench or ab, not '${values.request}'`);
  if (values.bundle) { // one run, for compare(): the figure alone
    console.log((await measureGatewayCost(request, Number(values.requests), values.bundle)).nsPerRequest);
    return;
  }
  if (values.against) return compare(values.against, values.request, values.requests, Number(values.rounds));
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) runs.push((await measureGatewayCost(request, Number(values.requests))).nsPerRequest);
  runs.sort((a, b) => a - b);
  // The median, and the least: another process's turn on the core can only add to a run.
  console.log(`Part 2b's own code: ${runs[2]!.toFixed(0)} ns a request (median of 5 runs of ${values.requests}, least ${runs[0]!.toFixed(0)}; runs ${runs.map((r) => r.toFixed(0)).join(', ')}), request: ${values.request}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
