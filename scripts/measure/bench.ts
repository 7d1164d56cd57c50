/**
 * npm run bench [-- --only part2,3i] [--quick]
 *
 * The same bounded load against each of the course's concurrency models, one
 * after the other, all on 127.0.0.1: Part 1, Part 2's gateway (Node's single
 * process and event loop), 3a (iterative), 3g (a child process per
 * connection), 3i (a pre-forked pool), and node:http as the yardstick, with a
 * new connection per request; node:http again with keep-alive, the one server
 * here that keeps connections open.
 *
 * Every server runs as plain JavaScript bundled by esbuild (scripts/part3.ts),
 * never through the TypeScript loader, so the figures are the servers' own.
 * For each: requests/s, p50 and p99 latency, failed requests, and the peak
 * memory of the server's whole process tree. Writes a table to stdout, the
 * figures as JSON to docs/bench/bench.json and a chart to
 * docs/diagrams/part3-bench.svg, which the Part 3 lesson shows.
 * A script, not a test: run it on a quiet machine, and read ratios, not
 * absolute numbers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { runLoad, type LoadResult } from './load.ts';
import { memoryOf, processTree } from '../testing/processes.ts';
import { buildApplication, buildProgram, bundle, REPO_ROOT } from '../part3.ts';

/** One model under test: how to start it, and how much load it gets. */
interface Model {
  name: string;
  about: string;
  /** The JavaScript to run and its arguments; `--port 0 --host 127.0.0.1` are added. */
  command: () => Promise<string[]>;
  keepAlive: boolean;
  /** Bounds of the load: whichever comes first. A fork per connection is slow, so it gets fewer requests. */
  requests: number;
  durationMs: number;
}

/** Clients sending at once: enough to keep a pool busy, as the original's client3 does with its processes. */
const CONCURRENCY = 50;

const MODELS: Model[] = [
  { name: 'part1', about: 'Part 1: raw socket, event loop', command: async () => [await bundle('part1/webserver1.ts')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'part2', about: "Part 2: gateway, Node's event loop", command: async () => [await bundle('part2/webserver2.ts'), await buildApplication('hello'), '--quiet'], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: '3a', about: '3a: iterative, one at a time', command: async () => [await buildProgram('3a')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: '3g', about: '3g: a child process per connection', command: async () => [await buildProgram('3g')], keepAlive: false, requests: 400, durationMs: 20_000 },
  { name: '3i', about: '3i: pre-forked pool', command: async () => [await buildProgram('3i'), await buildApplication('hello'), '--quiet'], keepAlive: false, requests: 40_000, durationMs: 8_000 },
  { name: 'node:http', about: 'node:http, Connection: close', command: async () => [await buildProgram('baseline')], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'part2-express', about: 'Express on the Part 2 gateway', command: async () => [await bundle('part2/webserver2.ts'), await buildApplication('expressapp'), '--quiet'], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'http-express', about: 'Express on node:http', command: async () => [await bundle('scripts/measure/express-http.ts', undefined, { withRequire: true })], keepAlive: false, requests: 20_000, durationMs: 8_000 },
  { name: 'node:http keep-alive', about: 'node:http, keep-alive', command: async () => [await buildProgram('baseline'), '--keep-alive'], keepAlive: true, requests: 40_000, durationMs: 8_000 },
];

/** The figures of one model. */
export interface Figures extends LoadResult {
  name: string;
  about: string;
  keepAlive: boolean;
  /** Peak resident memory of the server's process tree, in MiB (sum of RSS: shared pages counted per process). */
  peakRssMiB: number;
  /** Most processes in the tree at once. */
  peakProcesses: number;
}

/** Starts a server, waits for the port in its banner, and returns it with its process. */
async function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...args, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /Serving HTTP on port (\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before serving`)));
  });
  child.stdout!.resume(); // keep draining its log, or a busy server blocks on a full pipe
  return { child, port };
}

async function measure(model: Model): Promise<Figures> {
  const { child, port } = await start(await model.command());
  let peakRss = 0;
  let peakProcesses = 0;
  const sampler = setInterval(() => {
    const tree = processTree(child.pid!);
    peakProcesses = Math.max(peakProcesses, tree.length);
    peakRss = Math.max(peakRss, tree.reduce((sum, process) => sum + (memoryOf(process.pid)?.rss ?? 0), 0));
  }, 100);
  try {
    // A short warm-up, so that V8 has compiled the hot paths before we count.
    await runLoad({ host: '127.0.0.1', port, path: '/hello', concurrency: 4, requests: 200, durationMs: 2000, keepAlive: model.keepAlive });
    const result = await runLoad({ host: '127.0.0.1', port, path: '/hello', concurrency: CONCURRENCY, requests: model.requests, durationMs: model.durationMs, keepAlive: model.keepAlive });
    return { name: model.name, about: model.about, keepAlive: model.keepAlive, ...result, peakRssMiB: peakRss / 1024, peakProcesses };
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

function table(figures: Figures[]): string {
  const rows = figures.map((f) => [
    f.about,
    f.requestsPerSecond.toFixed(0),
    f.p50.toFixed(1),
    f.p99.toFixed(1),
    String(Object.values(f.failed).reduce((a, b) => a + b, 0)),
    f.peakRssMiB.toFixed(0),
    String(f.peakProcesses),
  ]);
  const head = ['model', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'peak MiB', 'processes'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** A horizontal bar chart of requests/s, one bar per model, with p99 and memory beside each. */
export function chart(figures: Figures[], subtitle: string): string {
  const width = 860;
  const barLeft = 300;
  const barMax = width - barLeft - 250; // room for the label after the longest bar
  const rowHeight = 44;
  const top = 104;
  const height = top + figures.length * rowHeight + 40;
  const most = Math.max(...figures.map((f) => f.requestsPerSecond), 1);
  const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);
  const bars = figures.map((f, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(2, (f.requestsPerSecond / most) * barMax);
    const fill = f.name.startsWith('node:http') ? '#8a94a6' : f.name === '3g' || f.name === '3a' ? '#d9822b' : '#2f6fdb';
    return [
      `<text x="${barLeft - 12}" y="${y + 24}" text-anchor="end" font-size="16">${escape(f.about)}</text>`,
      `<rect x="${barLeft}" y="${y + 8}" width="${w.toFixed(1)}" height="26" rx="3" fill="${fill}"/>`,
      `<text x="${barLeft + w + 8}" y="${y + 26}" font-size="15">${f.requestsPerSecond.toFixed(0)}/s · p99 ${f.p99.toFixed(1)} ms · ${f.peakRssMiB.toFixed(0)} MiB</text>`,
    ].join('\n  ');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="title desc" font-family="system-ui, sans-serif">
  <title id="title">Requests per second of each concurrency model under the same load</title>
  <desc id="desc">${escape(figures.map((f) => `${f.about}: ${f.requestsPerSecond.toFixed(0)} requests per second, p99 ${f.p99.toFixed(1)} ms`).join('; '))}</desc>
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="24" y="36" font-size="22" font-weight="bold" fill="#111">Requests per second, same load, one machine</text>
  ${subtitle
    .split('; ')
    .map((line, i) => `<text x="24" y="${62 + i * 20}" font-size="15" fill="#333">${escape(line)}</text>`)
    .join('\n  ')}
  ${bars.join('\n  ')}
</svg>
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
  const only = values.only?.split(',');
  const models = MODELS.filter((model) => !only || only.includes(model.name));
  if (models.length === 0) {
    console.error(`No such model: pick from ${MODELS.map((m) => m.name).join(', ')}`);
    process.exit(2);
  }
  const figures: Figures[] = [];
  for (const model of models) {
    const scaled = values.quick ? { ...model, requests: Math.ceil(model.requests / 10), durationMs: 2_000 } : model;
    process.stderr.write(`${model.about} ... `);
    const result = await measure(scaled);
    process.stderr.write(`${result.requestsPerSecond.toFixed(0)} req/s\n`);
    figures.push(result);
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const subtitle = `${CONCURRENCY} clients at once, GET /hello, a new connection per request except keep-alive; ${machine}`;
  console.log(`\n${table(figures)}\n\n${subtitle}`);
  if (!values.quick && !only) {
    const outDir = values.out ?? REPO_ROOT;
    mkdirSync(join(outDir, 'docs', 'bench'), { recursive: true });
    mkdirSync(join(outDir, 'docs', 'diagrams'), { recursive: true });
    writeFileSync(join(outDir, 'docs', 'bench', 'bench.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, concurrency: CONCURRENCY, figures }, null, 2)}\n`);
    writeFileSync(join(outDir, 'docs', 'diagrams', 'part3-bench.svg'), chart(figures, subtitle));
    console.log(`\nWrote ${join(outDir, 'docs', 'bench', 'bench.json')} and ${join(outDir, 'docs', 'diagrams', 'part3-bench.svg')}`);
  }
}

await main();
