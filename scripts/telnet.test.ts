import type { AddressInfo, Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it as vitestIt } from 'vitest';
import { listen, RESPONSE } from '../part1/webserver1b.ts';
import { visible } from './lib/wire.ts';
import { startGateway } from './lib/servers.ts';
import { runNode } from './lib/running-steps.ts';
import { sized } from '../part2/apps/hello.ts';
import { exercisedIt } from './testing/exercised.ts';

// These tests run the course's own servers: a failure a started exercise explains (it changed
// that server) is skipped, naming it (scripts/testing/exercised.ts); on a clean tree every
// failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const script = fileURLToPath(new URL('./telnet.ts', import.meta.url));
let server: Server;
let port: number;

beforeEach(async () => {
  server = await listen(0, '127.0.0.1', () => {});
  port = (server.address() as AddressInfo).port;
});
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Runs the telnet script with `input` on its stdin; resolves with its exit code, stdout and stderr. */
function telnet(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode(['--import', 'tsx', script, ...args], { input });
}

it('sends each line with CRLF and shows the response with CR and LF visible', async () => {
  const result = await telnet(['127.0.0.1', String(port)], 'GET /hello HTTP/1.1\n\n');
  expect(result.stdout).toBe(visible(RESPONSE));
  expect(result.stdout.split('\n')[0]).toBe('HTTP/1.1 200 OK\\r\\n');
  expect(result.stderr).toContain('Connection closed by the server.');
  expect(result.code).toBe(0);
});

it('--raw prints the bytes as they are', async () => {
  const result = await telnet(['--raw', '127.0.0.1', String(port)], 'GET /hello HTTP/1.1\n\n');
  expect(result.stdout).toBe(RESPONSE.toString('latin1'));
});

it('says in one line when nothing listens', async () => {
  const closed = port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server = await listen(0, '127.0.0.1', () => {}); // something for afterEach to close
  const result = await telnet(['127.0.0.1', String(closed)], '');
  expect(result.stderr.trim()).toBe(`Cannot connect to 127.0.0.1:${closed}: connection refused (is the server running? try npm run part1)`);
  expect(result.code).toBe(1);
});

it('keeps the connection open for a second request when the server does (npm run part2b)', async () => {
  const gateway = await startGateway(sized, {}, true);
  try {
    const request = 'GET /hello HTTP/1.1\nHost: localhost\n\n';
    const result = await telnet(['127.0.0.1', String(gateway.target.port)], request + request);
    const response = [
      'HTTP/1.1 200 OK',
      'Content-Type: text/plain',
      'Content-Length: 47',
      'Date: Mon, 15 Jul 2019 05:54:48 GMT',
      'Server: GatewayServer/0.2',
      'Keep-Alive: timeout=15',
      'Connection: keep-alive',
      '',
      'Hello world from a simple gateway application!\n',
    ].join('\r\n');
    expect(result.stdout).toBe(visible(response + response)); // two answers, one connection
    expect(result.stderr).toContain('Connection closed by the server.');
  } finally {
    await gateway.close();
  }
});
