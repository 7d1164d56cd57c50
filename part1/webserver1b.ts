/**
 * Part 1, step 1b: webserver1.ts made safe from hostile clients.
 *
 * The same server, with what the lesson's later sections add: a limit on the
 * head it reads (MAX_REQUEST_BYTES), an idle timeout (IDLE_TIMEOUT_MS), and a
 * close that never turns the response into a reset (lingeringClose), all from
 * connection.ts. See the change: npm run diff -- 1 1b
 *
 * Run it:    npm run part1b     (then: telnet localhost 8888; options: --port N, --host H)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { isProgram, main, type Log } from './cli.ts';
import {
  endOfHead,
  IDLE_TIMEOUT_MS,
  lingeringClose,
  MAX_REQUEST_BYTES,
  mayStillSend,
} from './connection.ts';

// #region response
/**
 * The one response this server sends, as bytes on the wire. The original ends
 * its lines with a bare LF; RFC 9112 §2.1 says a sender writes CRLF.
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

// #region listen
/**
 * Creates the listening socket on `host`:`port` and serves each connection. Resolves
 * with the server; rejects with the system error (code EADDRINUSE: the port is taken).
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
/** Serves one connection: reads the request head, prints it, sends RESPONSE, closes. */
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
    lingeringClose(connection, mayStillSend(request, connection.readableEnded));
  }

  connection.setTimeout(idleTimeoutMs, () => {
    log(`${client}: silent for ${idleTimeoutMs} ms, connection closed`);
    connection.destroy();
  });

  // Clients reset and vanish from time to time: that ends this connection, never the server.
  connection.on('error', (error: NodeJS.ErrnoException) =>
    log(`${client}: ${error.code ?? error.message}, connection dropped`),
  );
  connection.on('data', (chunk: Buffer) => {
    if (answered) return; // after the answer we only drain, so closing sends FIN, not RST
    request = Buffer.concat([request, chunk]); // TCP is a byte stream: keep what came so far
    if (endOfHead(request) !== -1 || request.length >= MAX_REQUEST_BYTES) answer();
  });
  connection.on('end', () => {
    // The client finished sending without a blank line (`nc -N`): answer what it sent.
    if (answered) return;
    if (request.length > 0) answer();
    else connection.destroy();
  });
}
// #endregion

if (isProgram('webserver1b')) await main(listen);
