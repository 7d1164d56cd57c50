/**
 * Starting course servers for tests and scripts: on 127.0.0.1, port 0 (a free
 * port the kernel picks), with a fixed clock so every byte is repeatable.
 */
import type { AddressInfo } from 'node:net';
import type { Application } from '../../part2/gateway.ts';
import type { ServerOptions } from '../../part2/server.ts';
import { makeServer } from '../../part2/webserver2.ts';
import { makeServer as makePersistentServer } from '../../part2/webserver2b.ts';
import type { Target } from './wire.ts';

/** The Date every golden transcript shows: the one in the original's webserver2.py, made a valid IMF-fixdate. */
export const FIXED_DATE = new Date('2019-07-15T05:54:48Z');

/** A running gateway server and what it logged. */
export interface RunningGateway {
  target: Target;
  /** Lines of the `< ` / `> ` log. */
  log: string[];
  /** Everything written to wsgi.errors. */
  errors: string[];
  /** Stops listening and resolves when every connection has closed. */
  close(): Promise<void>;
}

/**
 * Starts Part 2's gateway server running `app` on 127.0.0.1 at a free port,
 * with the fixed clock and SERVER_PORT '8888' (what a student's own run shows).
 * `options` override those defaults. `persistent`: webserver2b.ts's server
 * (persistent connections) instead of webserver2.ts's.
 */
export async function startGateway(app: Application, options: ServerOptions & { keepAliveTimeoutMs?: number; maxRequestsPerConnection?: number } = {}, persistent = false): Promise<RunningGateway> {
  const log: string[] = [];
  const errors: string[] = [];
  const server = (persistent ? makePersistentServer : makeServer)(app, {
    clock: () => FIXED_DATE,
    serverName: 'localhost',
    serverPort: '8888',
    log: (line) => log.push(line),
    errors: (text) => errors.push(text),
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    log,
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resolves once `lines` holds an entry containing `text`; checks again on every turn of the event loop. */
export async function untilLogged(lines: string[], text: string): Promise<void> {
  while (!lines.some((line) => line.includes(text))) await new Promise((resolve) => setImmediate(resolve));
}
