/**
 * What `npm run bench` found, and the two ways it is shown: the text table
 * (printed by the bench, and the ```` ```text bench=docs/bench/bench.json ````
 * block of the Part 3 lesson, which the drift check compares with this
 * function's output) and the SVG chart. Both are made from the same JSON, so
 * the lesson's table and chart cannot disagree.
 */
import { readFileSync } from 'node:fs';

/** What one run of the load generator (scripts/measure/load.ts) measured. */
export interface LoadResult {
  /** Requests answered with a status line. */
  ok: number;
  /** Requests that failed, by reason: { ECONNRESET: 3, timeout: 1, 'status 500': 2 }. */
  failed: Record<string, number>;
  elapsedMs: number;
  requestsPerSecond: number;
  /** Latency percentiles, in ms. */
  p50: number;
  p99: number;
}

/** The figures of one model. */
export interface Figures extends LoadResult {
  name: string;
  about: string;
  keepAlive: boolean;
  /**
   * Peak resident memory of the server's process tree, in MiB (sum of RSS:
   * shared pages counted per process). null where it cannot be measured
   * (no /proc or ps: Windows).
   */
  peakRssMiB: number | null;
  /** Most processes in the tree at once; null where it cannot be measured. */
  peakProcesses: number | null;
  /**
   * CPU time per answered request, in µs, of the server's process tree (user + system, with its
   * reaped children) and of the load generator: where the two cores went. Absent from older
   * figures; null where it cannot be measured (no /proc).
   */
  serverCpuUs?: number | null;
  clientCpuUs?: number | null;
}

/** The whole of bench.json. */
export interface BenchResults {
  /** When it ran, ISO 8601. */
  date: string;
  /** `2 × AMD EPYC, 24 GiB, Node v24.11.0`. */
  machine: string;
  /** Clients sending at once. */
  concurrency: number;
  figures: Figures[];
  /** Rounds per model, alternating; each model's figures are its median round. Absent: one. */
  rounds?: number;
  /** Models that could not run here, and why: `Python loop: python3 is not on the PATH`. */
  notMeasured?: string[];
}

/**
 * Reads a bench.json.
 * @throws Error when the file is missing or is not JSON
 */
export function readResults(file: string): BenchResults {
  return JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
}

/** The line under the title: the load, then the machine. */
export function subtitle(results: BenchResults): string {
  const rounds = results.rounds ? `, median of ${results.rounds} alternating rounds` : '';
  return `${results.concurrency} clients at once, GET /hello, a new connection per request except keep-alive${rounds}; ${results.machine}`;
}

/**
 * The groups of columns a table can show after the model's name: requests/s (`rate`), the
 * ratios to the yardsticks (`ratios`), p50 and p99 (`latency`), `failed`, peak memory and
 * processes (`memory`), and the CPU time a request of server and client (`cpu`).
 */
export const BENCH_COLUMNS = ['rate', 'ratios', 'latency', 'failed', 'memory', 'cpu'] as const;
export type BenchColumn = (typeof BENCH_COLUMNS)[number];

/**
 * The figures as a text table, one model a line, with requests/s as a
 * multiple of 3i's when 3i was measured (or, when the Python loop was, as
 * multiples of the Python loop's and node:http's); then the load and the machine.
 * `columns` picks which groups to show (a lesson's page is narrower than a terminal); all by
 * default, as `npm run bench` prints it.
 */
export function benchTable(results: BenchResults, columns: readonly BenchColumn[] = BENCH_COLUMNS): string {
  const rate = (name: string) => results.figures.find((f) => f.name === name)?.requestsPerSecond;
  const python = rate('python');
  const bases: [string, number | undefined][] = python ? [['× Python', python], ['× node:http', rate('node:http')]] : [['× 3i', rate('3i')]];
  const shown = bases.filter((base): base is [string, number] => base[1] !== undefined);
  // 3a keeps the original's listen(5); a backlog that small drops a burst of connections, so 3a is
  // set beside the Python loop with the same backlog, when it was measured (marked *).
  // Likewise a server with keep-alive is set beside node:http with keep-alive (marked †).
  const sameBacklog = rate('python-5');
  const keepAlive = rate('node:http keep-alive');
  const cell = (f: Figures, label: string, base: number) => {
    if (label === '× Python' && f.name === '3a' && sameBacklog) {
      return `${ratio(f.requestsPerSecond / sameBacklog)}*`;
    }
    if (label === '× node:http' && f.keepAlive && keepAlive) {
      return `${ratio(f.requestsPerSecond / keepAlive)}†`;
    }
    return ratio(f.requestsPerSecond / base);
  };
  // CPU time a request, server and load generator, in figures that have it (from /proc).
  const withCpu = columns.includes('cpu') && results.figures.some((f) => f.serverCpuUs !== undefined);
  const groups: Record<BenchColumn, { head: string[]; cells: (f: Figures) => string[] }> = {
    rate: { head: ['req/s'], cells: (f) => [f.requestsPerSecond.toFixed(0)] },
    ratios: { head: shown.map(([label]) => label), cells: (f) => shown.map(([label, base]) => cell(f, label, base)) },
    latency: { head: ['p50 ms', 'p99 ms'], cells: (f) => [f.p50.toFixed(1), f.p99.toFixed(1)] },
    failed: { head: ['failed'], cells: (f) => [String(Object.values(f.failed).reduce((a, b) => a + b, 0))] },
    memory: {
      head: ['peak MiB', 'processes'],
      cells: (f) => [f.peakRssMiB === null ? 'n/a' : f.peakRssMiB.toFixed(0), f.peakProcesses === null ? 'n/a' : String(f.peakProcesses)],
    },
    cpu: { head: withCpu ? ['server µs', 'client µs'] : [], cells: (f) => (withCpu ? [micros(f.serverCpuUs), micros(f.clientCpuUs)] : []) },
  };
  const picked = BENCH_COLUMNS.filter((column) => columns.includes(column)).map((column) => groups[column]);
  const rows = results.figures.map((f) => [f.about, ...picked.flatMap((group) => group.cells(f))]);
  const head = ['model', ...picked.flatMap((group) => group.head)];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const unmeasured = columns.includes('memory') && results.figures.some((f) => f.peakRssMiB === null) ? ['n/a: no /proc or ps on that machine to read memory and processes from'] : [];
  if (withCpu) {
    const why = results.figures.some((f) => f.serverCpuUs === null) ? ' (n/a: no /proc to read it from)' : '';
    unmeasured.unshift(`server µs, client µs: CPU time (user + system) a request, of the server's processes and of the load generator${why}`);
  }
  const missing = (results.notMeasured ?? []).map((why) => `not measured: ${why}`);
  const notes = [
    ['*', '* against the Python loop with the same backlog, listen(5)'],
    ['†', '† against node:http with keep-alive'],
  ];
  const marked = notes.filter(([mark]) => rows.some((r) => r.some((c) => c.endsWith(mark!)))).map(([, note]) => note!);
  return [line(head), ...rows.map(line), ...marked, ...missing, '', subtitle(results), ...unmeasured].join('\n');
}

/** CPU µs a request, whole: 46; n/a where it was not measured. */
function micros(us: number | null | undefined): string {
  return us === null || us === undefined ? 'n/a' : us.toFixed(0);
}

/** 1.26, 0.60, 0.005: two significant digits below 1, two decimals above. */
function ratio(x: number): string {
  return x >= 0.1 ? x.toFixed(2) : x.toPrecision(1);
}

/** A horizontal bar chart of requests/s, one bar per model, with p99 and memory beside each. */
export function chart(results: BenchResults): string {
  const figures = results.figures;
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
    const memory = f.peakRssMiB === null ? '' : ` · ${f.peakRssMiB.toFixed(0)} MiB`;
    return [
      `<text x="${barLeft - 12}" y="${y + 24}" text-anchor="end" font-size="16">${escape(f.about)}</text>`,
      `<rect x="${barLeft}" y="${y + 8}" width="${w.toFixed(1)}" height="26" rx="3" fill="${fill}"/>`,
      `<text x="${barLeft + w + 8}" y="${y + 26}" font-size="15">${f.requestsPerSecond.toFixed(0)}/s · p99 ${f.p99.toFixed(1)} ms${memory}</text>`,
    ].join('\n  ');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="title desc" font-family="system-ui, sans-serif">
  <title id="title">Requests per second of each concurrency model under the same load</title>
  <desc id="desc">${escape(figures.map((f) => `${f.about}: ${f.requestsPerSecond.toFixed(0)} requests per second, p99 ${f.p99.toFixed(1)} ms`).join('; '))}</desc>
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="24" y="36" font-size="22" font-weight="bold" fill="#111">Requests per second, same load, one machine</text>
  ${subtitle(results)
    .split('; ')
    .map((line, i) => `<text x="24" y="${62 + i * 20}" font-size="15" fill="#333">${escape(line)}</text>`)
    .join('\n  ')}
  ${bars.join('\n  ')}
</svg>
`;
}
