import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchTable, chart, readResults, type BenchResults, type Figures } from './bench-figures.ts';

/** One model's figures for a table test: 1,000 requests/s, p50 1 ms, p99 2 ms, 10 MiB, 1 process, unless `fields` says otherwise. */
function model(name: string, fields: Partial<Figures> = {}): Figures {
  return { name, about: name, keepAlive: false, ok: 1, failed: {}, elapsedMs: 1, requestsPerSecond: 1000, p50: 1, p99: 2, peakRssMiB: 10, peakProcesses: 1, ...fields };
}

const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('bench figures', () => {
  it('the committed chart is drawn from the committed bench.json (the lesson checks its table against the same file)', () => {
    const results = readResults(`${repo}/docs/bench/bench.json`);
    expect(chart(results)).toBe(readFileSync(`${repo}/docs/diagrams/part3-bench.svg`, 'utf8'));
  });

  it('says n/a, never 0, for memory and processes it could not measure, and why', () => {
    const results: BenchResults = {
      date: 'd',
      machine: '4 × CPU, 8 GiB, Node v24.0.0',
      concurrency: 50,
      figures: [{ name: 'part1', about: 'Part 1', keepAlive: false, ok: 1, failed: { ECONNRESET: 2 }, elapsedMs: 1, requestsPerSecond: 10, p50: 1, p99: 2, peakRssMiB: null, peakProcesses: null }],
    };
    expect(benchTable(results).split('\n')).toEqual([
      'model   req/s  p50 ms  p99 ms  failed  peak MiB  processes',
      'Part 1     10     1.0     2.0       2       n/a        n/a',
      '',
      '50 clients at once, GET /hello, a new connection per request except keep-alive; 4 × CPU, 8 GiB, Node v24.0.0',
      'n/a: no /proc or ps on that machine to read memory and processes from',
    ]);
    expect(chart(results)).toContain('10/s · p99 2.0 ms</text>');
  });
  it('with the Python loop measured, shows each model as a multiple of it and of node:http', () => {
    const named = (name: string, about: string, requestsPerSecond: number) => model(name, { about, requestsPerSecond });
    const results: BenchResults = {
      date: 'd',
      machine: '2 × CPU, 8 GiB, Node v24.0.0',
      concurrency: 50,
      rounds: 3,
      figures: [named('part1', 'Part 1', 9000), named('node:http', 'node:http', 12000), named('python', 'Python loop', 18000)],
    };
    expect(benchTable(results).split('\n').slice(0, 4)).toEqual([
      'model        req/s  × Python  × node:http  p50 ms  p99 ms  failed  peak MiB  processes',
      'Part 1        9000      0.50         0.75     1.0     2.0       0        10          1',
      'node:http    12000      0.67         1.00     1.0     2.0       0        10          1',
      'Python loop  18000      1.00         1.50     1.0     2.0       0        10          1',
    ]);
    expect(benchTable(results)).toContain('median of 3 alternating rounds');
  });

  it('sets 3a beside the Python loop with its own backlog, listen(5), and says so', () => {
    const named = (name: string, about: string, requestsPerSecond: number) => model(name, { about, requestsPerSecond });
    const results: BenchResults = {
      date: 'd',
      machine: 'm',
      concurrency: 50,
      figures: [named('3a', '3a', 3000), named('node:http', 'node:http', 12000), named('python', 'Python loop', 18000), named('python-5', 'Python, listen(5)', 2000)],
    };
    const lines = benchTable(results).split('\n');
    expect(lines[1]).toBe('3a                  3000     1.50*         0.25     1.0     2.0       0        10          1');
    expect(lines[4]).toBe('Python, listen(5)   2000      0.11         0.17     1.0     2.0       0        10          1');
    expect(lines[5]).toBe('* against the Python loop with the same backlog, listen(5)');
  });

  it('sets a keep-alive model beside node:http with keep-alive, and says so', () => {
    const rated = (name: string, requestsPerSecond: number, keepAlive: boolean) => model(name, { requestsPerSecond, keepAlive });
    const results: BenchResults = {
      date: 'd',
      machine: 'm',
      concurrency: 50,
      figures: [rated('node:http', 10000, false), rated('python', 20000, false), rated('node:http keep-alive', 40000, true), rated('part2b keep-alive', 30000, true)],
    };
    const lines = benchTable(results).split('\n');
    expect(lines[3]).toBe('node:http keep-alive  40000      2.00        1.00†     1.0     2.0       0        10          1');
    expect(lines[4]).toBe('part2b keep-alive     30000      1.50        0.75†     1.0     2.0       0        10          1');
    expect(lines[5]).toBe('† against node:http with keep-alive');
  });

  it('shows the CPU time a request, of server and load generator, when the figures have it', () => {
    const timed = (name: string, serverCpuUs: number | null, clientCpuUs: number | null) => model(name, { serverCpuUs, clientCpuUs });
    const results: BenchResults = { date: 'd', machine: 'm', concurrency: 50, figures: [timed('3i', 45.6, 60.2), timed('part1', null, null)] };
    const lines = benchTable(results).split('\n');
    expect(lines[0]).toBe('model  req/s  × 3i  p50 ms  p99 ms  failed  peak MiB  processes  server µs  client µs');
    expect(lines[1]).toBe('3i      1000  1.00     1.0     2.0       0        10          1         46         60');
    expect(lines[2]).toBe('part1   1000  1.00     1.0     2.0       0        10          1        n/a        n/a');
    expect(lines.at(-1)).toBe("server µs, client µs: CPU time (user + system) a request, of the server's processes and of the load generator (n/a: no /proc to read it from)");
  });

  it('shows only the groups of columns asked for, in their usual order', () => {
    const results: BenchResults = { date: 'd', machine: 'm', concurrency: 50, figures: [model('3i', { failed: { timeout: 2 }, peakProcesses: 3, serverCpuUs: 45.6, clientCpuUs: 60.2 })] };
    const lines = benchTable(results, ['cpu', 'rate']).split('\n');
    expect(lines.slice(0, 2)).toEqual(['model  req/s  server µs  client µs', '3i      1000         46         60']);
    expect(benchTable(results, ['failed']).split('\n').slice(0, 2)).toEqual(['model  failed', '3i          2']);
    expect(benchTable(results, ['failed'])).not.toContain('server µs, client µs');
  });

  it('names a model it could not measure, and why', () => {
    const results: BenchResults = { date: 'd', machine: 'm', concurrency: 50, figures: [], notMeasured: ['Python loop: python3 is not on the PATH'] };
    expect(benchTable(results)).toContain('not measured: Python loop: python3 is not on the PATH');
  });
});
