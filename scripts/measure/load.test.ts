import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { app as hello } from '../../part2/apps/hello.ts';
import { runLoad } from './load.ts';
import { startGateway } from '../lib/servers.ts';

it('counts every request against a connection-per-request server', async () => {
  const gateway = await startGateway(hello, { log: undefined });
  try {
    const result = await runLoad({ ...gateway.target, path: '/hello', concurrency: 4, requests: 40, durationMs: 5000, keepAlive: false });
    expect(result.ok).toBe(40);
    expect(result.failed).toEqual({});
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
  } finally {
    await gateway.close();
  }
});

it('uses keep-alive against node:http, and counts statuses other than 200 as failures', async () => {
  let served = 0;
  const server = createHttpServer((request, response) => {
    served++;
    response.writeHead(request.url === '/hello' ? 200 : 404, { 'Content-Length': '2' }).end('hi');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const good = await runLoad({ host: '127.0.0.1', port, path: '/hello', concurrency: 2, requests: 20, durationMs: 5000, keepAlive: true });
    expect(good.ok).toBe(20);
    const bad = await runLoad({ host: '127.0.0.1', port, path: '/nope', concurrency: 1, requests: 3, durationMs: 5000, keepAlive: true });
    expect(bad.failed).toEqual({ 'status 404': 3 });
    expect(served).toBe(23);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

it('counts refused connections', async () => {
  const result = await runLoad({ host: '127.0.0.1', port: 1, path: '/', concurrency: 1, requests: 2, durationMs: 2000, keepAlive: false });
  expect(result.failed).toEqual({ ECONNREFUSED: 2 });
});
