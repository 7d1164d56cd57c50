/**
 * Part 1: a web server on a raw socket.
 *
 * The TypeScript rendition of lsbaws part1/webserver1.py. It listens, accepts a
 * connection, reads the request, prints it, sends one fixed response and closes.
 * It does not parse the request: whatever you send, you get `Hello, World!`.
 *
 * Run it:    npm run part1            (then: telnet localhost 8888)
 * Options:   --port N   (default 8888; 0 picks a free port)
 *            --host H   (default localhost; 0.0.0.0 lets other machines connect)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

/** The original's port. Above 1023, so no root is needed to bind it. */
export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';

// #region response
/**
 * The one response this server sends, as bytes on the wire.
 *
 * The original sends `HTTP/1.1 200 OK\n\nHello, World!\n` with bare LFs.
 * We end every line of the head with CRLF, because RFC 9112 §2.1 says a
 * sender writes CRLF (a recipient MAY accept a bare LF, §2.2, and most do,
 * which is why the original worked). We also say how long the body is and that
 * we close the connection, so a client knows where the response ends (§6.3)
 * without waiting for the close.
 */
export const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\n' + //                 status line: version, status code, reason phrase
    'Content-Type: text/plain\r\n' + //      header fields: what the body is...
    'Content-Length: 14\r\n' + //            ...how many bytes it has...
    'Connection: close\r\n' + //             ...and that we close after it
    '\r\n' + //                              blank line: end of the head
    'Hello, World!\n', //                    body: 14 bytes
  'latin1',
);
// #endregion

// #region limits
/**
 * Largest request head we read before answering anyway, in bytes.
 * Any input gets Hello, World; a client sending megabytes must not make us
 * buffer megabytes. 8 KiB is the head limit most servers start from.
 */
export const MAX_REQUEST_BYTES = 8 * 1024;

/**
 * How long a connection may stay silent before we close it, in ms. Generous,
 * because a person typing into telnet is slow; without a limit, clients that
 * connect and never speak would pile up for ever.
 */
export const IDLE_TIMEOUT_MS = 60_000;

/**
 * After our response, how long at most we read and drop what a client still
 * sends, in ms, and how many bytes (see {@link closeConnection}): enough for
 * bytes already on their way; a client that keeps sending is not reading.
 */
export const LINGER_MS = 2_000;
export const LINGER_BYTES = 256 * 1024;
// #endregion

/** Where log lines go. The CLI prints them; tests collect them. */
export type Log = (text: string) => void;

// #region listen
/**
 * Creates the listening socket, binds it to `host`:`port` and listens.
 *
 * Node does the socket(2), setsockopt(SO_REUSEADDR), bind(2) and listen(2)
 * calls of the original for us inside `server.listen()`: libuv always sets
 * SO_REUSEADDR on a TCP listening socket, so a restarted server can bind the
 * port again at once. The backlog (queue of connections the kernel has
 * completed but we have not yet accepted) is Node's default, 511.
 *
 * Resolves with the listening server (read the real port from
 * `server.address()` when you passed 0). Rejects with the system error, e.g.
 * code EADDRINUSE when the port is taken.
 */
export function listen(
  port: number,
  host: string,
  log: Log,
  idleTimeoutMs = IDLE_TIMEOUT_MS,
): Promise<Server> {
  // allowHalfOpen: a client that shuts down its sending side (`nc -N`) can still read our answer.
  const server = createServer({ allowHalfOpen: true });
  server.on('connection', (connection) => handleOneRequest(connection, log, idleTimeoutMs));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
// #endregion

// #region handle-one-request
/**
 * Serves one connection: collects the request, prints it, sends
 * {@link RESPONSE}, closes.
 *
 * The original calls `recv(1024)` once and answers whatever that returned.
 * TCP is a byte stream, not a message stream: one read may return half a
 * line (telnet in character mode sends a byte at a time) or stop at 1024
 * bytes of a longer request. So we keep reading until the head is complete
 * (a blank line, RFC 9112 §2.1), the client stops sending (end of stream), or
 * the head grows past {@link MAX_REQUEST_BYTES}.
 */
export function handleOneRequest(
  connection: Socket,
  log: Log,
  idleTimeoutMs = IDLE_TIMEOUT_MS,
): void {
  const client = `${connection.remoteAddress}:${connection.remotePort}`;
  let request = Buffer.alloc(0);
  let answered = false;

  function answer(): void {
    answered = true;
    log(request.toString('utf8'));
    connection.write(RESPONSE);
    closeConnection(connection, mayStillSend(request, connection.readableEnded));
  }

  connection.setTimeout(idleTimeoutMs, () => {
    log(`${client}: silent for ${idleTimeoutMs} ms, connection closed`);
    connection.destroy();
  });
  // Clients reset and vanish from time to time (a browser tab closes, a
  // student hits Ctrl-C): that ends this connection, never the server.
  connection.on('error', (error: NodeJS.ErrnoException) =>
    log(`${client}: ${error.code ?? error.message}, connection dropped`),
  );

  connection.on('data', (chunk: Buffer) => {
    if (answered) return; // after the answer we only drain, so closing sends FIN, not RST
    request = Buffer.concat([request, chunk]);
    if (endOfHead(request) !== -1 || request.length >= MAX_REQUEST_BYTES) answer();
  });

  connection.on('end', () => {
    // The client finished sending without a blank line (`nc -N`, a half-close).
    // If it sent anything it gets its Hello, World; if nothing, we just close.
    if (answered) return;
    if (request.length > 0) answer();
    else connection.destroy();
  });
}
// #endregion

// #region close-connection
/**
 * Closes the connection the cheapest safe way. When nothing more can arrive,
 * close(2) at once, as Python's close(): the kernel sends the bytes it holds,
 * then FIN, and we need not wait for the client's FIN. But closing a socket
 * with unread bytes makes the kernel send RST instead, which can wipe out the
 * response before the client reads it. So when the client may still be
 * sending, we send FIN and read and drop what comes, for LINGER_MS and
 * LINGER_BYTES at most (a lingering close, RFC 9112 §9.6).
 */
export function closeConnection(connection: Socket, linger: boolean): void {
  if (connection.destroyed) return; // the client reset while we wrote
  if (!linger && connection.writableLength === 0) return void connection.destroy();
  if (!linger) return void connection.end().once('finish', () => connection.destroy());
  const stop = setTimeout(() => connection.destroy(), LINGER_MS);
  connection.once('close', () => clearTimeout(stop));
  let dropped = 0;
  connection.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) connection.destroy();
  });
  connection.end(); // FIN; once the client's FIN comes back, Node closes the socket
}

/**
 * True when the client may still be sending after `request`: it has not
 * shut down its side (`ended`: its FIN has come), and it sent more than a head, or a head
 * not yet complete, or one that announces a body (RFC 9112 §6.3:
 * Content-Length or Transfer-Encoding). A plain GET is read whole.
 */
export function mayStillSend(request: Buffer, ended: boolean): boolean {
  if (ended) return false;
  const end = endOfHead(request);
  if (end === -1 || end < request.length) return true;
  return /^(content-length|transfer-encoding)[ \t]*:/im.test(request.toString('latin1', 0, end));
}
// #endregion

// #region end-of-head
/**
 * Index just past the blank line that ends a request head, or -1 if it has not
 * arrived yet. A line ends with LF, optionally preceded by CR: RFC 9112 §2.2
 * lets a recipient accept a bare LF, which is what `nc` sends.
 */
export function endOfHead(bytes: Buffer): number {
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) {
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}
// #endregion

/** Reads `--port` and `--host`. Throws an Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { port: number; host: string } {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, host: { type: 'string' } },
  });
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  }
  return { port, host: values.host ?? DEFAULT_HOST };
}

// #region main
async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const { port, host } = options;
  if (host === '0.0.0.0' || host === '::') {
    console.error(
      `Warning: listening on every network interface (${host}): anyone who can reach this ` +
        `machine can connect.`,
    );
  }
  let server: Server;
  try {
    server = await listen(port, host, (text) => console.log(text));
  } catch (error) {
    console.error(explainListenError(error as NodeJS.ErrnoException, port, host));
    process.exit(1);
  }
  const address = server.address();
  console.log(
    `Serving HTTP on port ${typeof address === 'object' && address ? address.port : port} ...`,
  );
}
// #endregion

/** One line a student can act on, for the usual reasons listen() fails. */
export function explainListenError(
  error: NodeJS.ErrnoException,
  port: number,
  host: string,
): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return (
        `Port ${port} is already in use on ${host}: stop the other server (an earlier run ` +
        `of this one?) or pick another port with --port ${port + 1}`
      );
    case 'EACCES':
      return (
        `Not allowed to listen on port ${port}: ports below 1024 need root; pick one above ` +
        `1023 with --port`
      );
    case 'ENOTFOUND':
    case 'EADDRNOTAVAIL':
      return (
        `Cannot listen on host '${host}': it is not an address of this machine (try ` +
        `localhost or 0.0.0.0)`
      );
    default:
      return `Cannot listen on ${host}:${port}: ${error.message}`;
  }
}

/**
 * True when the file named `name` (`webserver1`, without its extension) is the
 * program Node runs, false when a test or another step imports it. It reads
 * the program's file name, not import.meta.url: in a bundle (Part 3 runs
 * bundles) every module shares the bundle's URL. Parts 1 and 2 use this one
 * guard; Part 2 imports it from here.
 */
export function isProgram(name: string): boolean {
  const file = (process.argv[1] ?? '').split(/[\\/]/).pop() ?? '';
  return file.replace(/\.[cm]?[jt]s$/, '') === name && file !== name;
}

// Run the server only when this file is the program.
if (isProgram('webserver1')) {
  await main();
}
