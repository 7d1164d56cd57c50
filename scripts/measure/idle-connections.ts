/**
 * What idle connections cost each concurrency model: the processes and memory a server holds
 * while N clients keep a connection open and send nothing, as browsers do between the requests
 * of a page (keep-alive) and before their first (preconnect).
 *
 *   npx tsx scripts/measure/idle-connections.ts [--connections N]     (default 50)
 *
 * For each of Part 2b (one process, persistent connections), 3h (a child process per
 * connection) and 3i (a pool of 2 workers running 2b): start it on 127.0.0.1, open N
 * connections, and sample the server's process tree (tree-memory.ts) while they sit idle:
 * - "before a request": connected, nothing sent. 3h has forked a child for each, and each
 *   child waits for its request: what a keep-alive connection would cost it between requests.
 * - "after a response": each connection sent one request, read the response and stays open.
 *   3h closes after every response, so it holds nothing; 2b and 3i keep the connections.
 * Linux or macOS (it reads the process tree); prints a table.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { INSPECTOR, processTree } from '../lib/processes.ts';
import { buildApplication, buildProgram, bundle } from '../lib/bundle.ts';
import { sample, type Peaks } from './tree-memory.ts';
import { startServer } from './server.ts';

const MODELS: Array<{ name: string; command: () => Promise<string[]> }> = [
  { name: '2b: one process', command: async () => [await bundle('part2/webserver2b.ts'), await buildApplication('hello:sized'), '--quiet'] },
  { name: '3h: a child per connection', command: async () => [await buildProgram('3h'), await buildApplication('hello:sized'), '--quiet'] },
  { name: '3i: a pool of 2 workers', command: async () => [await buildProgram('3i'), await buildApplication('hello:sized'), '--quiet', '--workers', '2'] },
];

/** Opens a connection; with `request`, sends it and resolves once a whole response is in. */
async function open(port: number, request?: Buffer): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {}); // a server that closes (3h) is part of what we measure
  await once(socket, 'connect');
  if (!request) return socket;
  socket.write(request);
  let received = '';
  for await (const chunk of socket) {
    received += (chunk as Buffer).toString('latin1');
    if (received.endsWith('application!\n')) break; // hello:sized's body ends so
  }
  return socket;
}

/**
 * The peaks of the server's tree while `count` connections sit idle: sampled until the number
 * of processes has not changed for a second (3h forks one child after another), at most 20 s.
 */
async function measureIdle(child: ChildProcess, port: number, count: number, request?: Buffer): Promise<Peaks & { answerMs: number | undefined }> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) sockets.push(await open(port, request));
  const peaks: Peaks = { processes: 0, rssKb: 0, privateKb: 0, samples: 0 };
  let steadySince = Date.now();
  for (const deadline = Date.now() + 20_000; Date.now() < deadline && Date.now() - steadySince < 1000; ) {
    const before = peaks.processes;
    sample(child.pid!, peaks);
    if (peaks.processes !== before) steadySince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const answerMs = await timeOneRequest(port);
  for (const socket of sockets) socket.destroy();
  // Wait for the children of these connections to be gone before the next measurement.
  for (const deadline = Date.now() + 20_000; Date.now() < deadline && processTree(child.pid!).length > (count ? 3 : 0); ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ...peaks, answerMs };
}

/** How long one more client waits for its answer while the others idle, in ms; at most 3 s. */
async function timeOneRequest(port: number): Promise<number | undefined> {
  const began = performance.now();
  const socket = await open(port);
  socket.write('GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  const timer = setTimeout(() => socket.destroy(), 3000);
  const [chunk] = (await Promise.race([once(socket, 'data'), once(socket, 'close')])) as [Buffer | boolean];
  clearTimeout(timer);
  socket.destroy();
  return Buffer.isBuffer(chunk) ? performance.now() - began : undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { connections: { type: 'string', default: '50' } } });
  const count = Number(values.connections);
  if (!INSPECTOR) {
    console.error(`Needs a process tree to read (/proc or ps), which ${process.platform} does not have.`);
    process.exit(2);
  }
  const request = Buffer.from('GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n', 'latin1');
  const mb = (kb: number) => (kb / 1024).toFixed(0).padStart(6);
  console.log(`${count} idle connections; peak processes and RSS sum (MiB) of each server's tree`);
  console.log('and how long one more client waits for an answer meanwhile');
  console.log(`${'model'.padEnd(28)} ${'idle, before a request'.padStart(32)} ${'idle, after a response'.padStart(32)}`);
  for (const model of MODELS) {
    const { child, port } = await startServer(await model.command());
    try {
      const idle = await measureIdle(child, port, 0);
      const before = await measureIdle(child, port, count);
      const after = await measureIdle(child, port, count, request);
      const wait = (ms: number | undefined) => (ms === undefined ? 'none in 3 s' : `${ms.toFixed(0)} ms`);
      const cell = (p: Peaks & { answerMs: number | undefined }) =>
        `${String(p.processes).padStart(3)} proc ${mb(p.rssKb)} MiB ${wait(p.answerMs).padStart(11)}`.padStart(32);
      console.log(`${model.name.padEnd(28)} ${cell(before)} ${cell(after)}   (none idle: ${idle.processes} proc, ${mb(idle.rssKb).trim()} MiB)`);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

await main();
