/**
 * What Part 2's two servers share around a connection, once: the limits on a request, the
 * options, the listening socket (wsgiref's make_server without its handler), serveForever, the
 * guard that keeps one connection's failure from ending the server, and main. webserver2.ts
 * serves one request per connection with it; webserver2b.ts a connection's every request.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { explainListenError } from '../part1/connection.ts';
import type { Application } from './gateway.ts';
import type { Deadlines } from './decoder.ts';
import type { EnvironSettings } from './environ.ts';
import { withDefaults, type HandlerSettings } from './handler.ts';
import { loadApplication, parseOptions } from './loader.ts';

// #region limits
/** Largest request head (request line and fields) we accept, in bytes; more gets 431. 8 KiB. */
export const MAX_HEAD_BYTES = 8 * 1024;
/** Largest request body, in bytes; more gets 413. wsgi.input reads a body that has arrived. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How long a client may be silent while sending its request, in ms; then 408. People type.
 * Each byte starts it again: decoder.ts's HEAD_TIMEOUT_MS bounds a head in all.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
// #endregion

/** How a server behaves; every field has a default. */
export interface ServerOptions extends Deadlines, EnvironSettings {
  /** Where the `< ` / `> ` request and response lines go. Omit for --quiet. */
  log?: (line: string) => void;
  /** `wsgi.errors`: where application errors and interface violations go. Default: stderr. */
  errors?: (text: string) => void;
  /** The clock behind the Date header. Tests fix it so responses are byte-for-byte repeatable. */
  clock?: () => Date;
  /** The Date field's value. Default: the clock's time; makeServer formats it once a second. */
  date?: () => string;
  requestTimeoutMs?: number;
  /** handler.ts's SEND_TIMEOUT_MS. */
  sendTimeoutMs?: number;
  maxHeadBytes?: number;
  maxBodyBytes?: number;
  /** Persistent connections (webserver2b.ts): its KEEP_ALIVE_TIMEOUT_MS. */
  keepAliveTimeoutMs?: number;
  /** Persistent connections (webserver2b.ts): its MAX_REQUESTS_PER_CONNECTION. */
  maxRequestsPerConnection?: number;
}

/** The options with their defaults filled in, as a connection's code receives them. */
export type Settings = ServerOptions & HandlerSettings;

// #region listen-for-connections
/**
 * A listening socket that hands every accepted connection to `serve`, with the settings
 * (wsgiref's make_server, without the handler: each step passes its own).
 */
export function listenForConnections(
  options: ServerOptions,
  serve: (connection: Socket, settings: Settings) => void,
): Server {
  // allowHalfOpen: a client that shuts down its sending side can still read our answer.
  // noDelay: switch off Nagle's algorithm, or a small body written right after the head
  // waits for the client's delayed ACK (node:http does the same).
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  let settings = withDefaults(options);
  server.on('listening', () => {
    const address = server.address(); // once, not per connection: a system call (getsockname)
    const port = typeof address === 'object' && address ? String(address.port) : '';
    settings = { serverPort: port, ...settings };
  });
  server.on('connection', (connection) => serve(connection, settings));
  return server;
}
// #endregion

// #region serve-forever
/** Listens on `host`:`port` and says so; on failure, says why in one line and exits. */
export function serveForever(server: Server, port: number, host: string): void {
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(explainListenError(error, port, host));
    process.exit(1);
  });
  server.listen(port, host, () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    console.log(`GatewayServer: Serving HTTP on port ${actual} ...`);
  });
}
// #endregion

// #region guard-connection
/**
 * Serves `connection` with `serve`; resolves when it is finished with, never rejects.
 * Clients vanish mid-request from time to time (a closed tab, Ctrl-C): that ends this
 * connection, never the server; one line in the log says so.
 */
export async function guardConnection(
  connection: Socket,
  settings: Settings,
  serve: () => Promise<void>,
): Promise<void> {
  connection.on('error', (error: NodeJS.ErrnoException) => {
    const reason = error.code ?? error.message;
    settings.log?.(`! ${connection.remoteAddress}: ${reason}, connection dropped`);
  });
  try {
    await serve();
  } catch (error) {
    // Not expected: every failure of a client or an app is answered inside. Should one
    // escape, it ends this connection only: an unhandled rejection would end the process.
    settings.errors(
      `the server failed on a connection: ${(error as Error)?.stack ?? String(error)}\n`,
    );
    connection.destroy();
  }
}
// #endregion

// #region main
/** Runs a server from the command line: `APP [--port N] [--host H] [--quiet]`. */
export async function main(
  makeServer: (app: Application, options: ServerOptions) => Server,
): Promise<void> {
  let options;
  let app;
  try {
    options = parseOptions(process.argv.slice(2));
    app = await loadApplication(options.spec);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const { port, host, quiet } = options;
  if (host === '0.0.0.0' || host === '::') {
    console.error(
      `Warning: listening on every network interface (${host}): ` +
        'anyone who can reach this machine can connect.',
    );
  }
  const log = quiet ? {} : { log: (line: string) => console.log(line) };
  serveForever(makeServer(app, { serverName: host, ...log }), port, host);
}
// #endregion
