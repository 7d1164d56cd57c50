/**
 * A bounded HTTP load generator for `npm run bench`: `concurrency` clients
 * send GET requests until `requests` have been sent or `durationMs` has
 * passed, whichever comes first, and record each request's latency.
 *
 * Two modes. Connection per request (what every course server does: the
 * response ends when the server closes) and keep-alive (many requests on one
 * connection, for servers that send Content-Length and keep the connection
 * open, like node:http). Only for 127.0.0.1: the bench never leaves the machine.
 */
import { connect, type Socket } from 'node:net';
import type { LoadResult } from '../lib/bench-figures.ts';

export interface LoadOptions {
  host: string;
  port: number;
  /** The request target: '/hello'. */
  path: string;
  /** Clients sending at the same time. */
  concurrency: number;
  /** Stop after this many requests in all. */
  requests: number;
  /** ... or after this long, in ms. */
  durationMs: number;
  keepAlive: boolean;
  /** A request that takes longer than this fails, in ms. Default 10000. */
  timeoutMs?: number;
}

/** Runs the load and resolves with what happened. Never rejects: failures are counted. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const failed: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.durationMs;
  let sent = 0;
  const more = () => sent < options.requests && performance.now() < deadline;
  const fail = (reason: string) => (failed[reason] = (failed[reason] ?? 0) + 1);
  const request = Buffer.from(
    `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\n${options.keepAlive ? '' : 'Connection: close\r\n'}\r\n`,
    'latin1',
  );

  async function client(): Promise<void> {
    let socket: Socket | undefined;
    while (more()) {
      sent++;
      const begin = performance.now();
      try {
        if (options.keepAlive) {
          socket ??= await open(options);
          const { status, close } = await exchangeKeepAlive(socket, request, options.timeoutMs ?? 10_000);
          if (status !== 200) fail(`status ${status}`);
          if (close) {
            // The server said Connection: close (its limit of requests per connection): reconnect.
            socket.destroy();
            socket = undefined;
          }
        } else {
          const status = await exchangeOnce(options, request, options.timeoutMs ?? 10_000);
          if (status !== 200) fail(`status ${status}`);
        }
        latencies.push(performance.now() - begin);
      } catch (error) {
        fail((error as NodeJS.ErrnoException).code ?? (error as Error).message);
        socket?.destroy();
        socket = undefined;
      }
    }
    socket?.destroy();
  }

  await Promise.all(Array.from({ length: options.concurrency }, client));
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const ok = latencies.length - countStatusFailures(failed); // every answered request has a latency; those not 200 are failures
  return { ok, failed, elapsedMs, requestsPerSecond: (ok / elapsedMs) * 1000, p50: at(0.5), p99: at(0.99) };
}

/** Failures that still got a response (a status other than 200) have a latency too. */
function countStatusFailures(failed: Record<string, number>): number {
  return Object.entries(failed)
    .filter(([reason]) => reason.startsWith('status '))
    .reduce((sum, [, n]) => sum + n, 0);
}

function open(options: LoadOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One connection, one request, read to end of stream; resolves with the status code. */
function exchangeOnce(options: LoadOptions, request: Buffer, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    let first: Buffer | undefined;
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(Object.assign(new Error('timeout'), { code: 'timeout' }));
    });
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => (first ??= chunk));
    socket.on('end', () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(first?.toString('latin1', 0, 12) ?? '');
      status ? resolve(Number(status[1])) : reject(Object.assign(new Error('no status line'), { code: 'no status line' }));
    });
    socket.on('error', reject); // refused, reset: counted by the caller
  });
}

/**
 * One request on an open connection, reading exactly Content-Length bytes of body; resolves with
 * the status code, and whether the server said it closes the connection after this response.
 */
function exchangeKeepAlive(socket: Socket, request: Buffer, timeoutMs: number): Promise<{ status: number; close: boolean }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
    };
    const onTimeout = () => onError(Object.assign(new Error('timeout'), { code: 'timeout' }));
    const onError = (error: Error) => (cleanup(), reject(error));
    const onEnd = () => (cleanup(), reject(Object.assign(new Error('closed'), { code: 'closed by server' })));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = received.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      if (Number.isNaN(length)) return onError(Object.assign(new Error('no Content-Length'), { code: 'no Content-Length' }));
      if (received.length - end - 4 >= length) {
        cleanup();
        resolve({ status: Number(head.slice(9, 12)), close: /\r\nconnection: *close/i.test(head) });
      }
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.setTimeout(timeoutMs);
    socket.on('timeout', onTimeout); // one listener per request, removed in cleanup: the socket lives across requests
    socket.write(request);
  });
}
