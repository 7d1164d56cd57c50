/**
 * Part 1: a web server on a raw socket, lsbaws part1/webserver1.py in TypeScript.
 *
 * It listens, accepts a connection, reads the request until the blank line that
 * ends its head, prints it, sends one fixed response and closes. Whatever you
 * send, you get `Hello, World!`. Step 1b, webserver1b.ts, hardens it.
 *
 * Run it:    npm run part1      (then: telnet localhost 8888; options: --port N, --host H)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { isProgram, main, type Log } from './cli.ts';
import { endOfHead } from './connection.ts';

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
export function listen(port: number, host: string, log: Log): Promise<Server> {
  // allowHalfOpen: a client that shuts down its sending side (`nc -N`) can still read our answer.
  const server = createServer({ allowHalfOpen: true });
  server.on('connection', (connection) => handleOneRequest(connection, log));
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
export function handleOneRequest(connection: Socket, log: Log): void {
  const client = `${connection.remoteAddress}:${connection.remotePort}`;
  let request = Buffer.alloc(0);
  let answered = false;

  function answer(): void {
    answered = true;
    log(request.toString('utf8'));
    connection.end(RESPONSE); // sendall, then FIN; Node closes once the client's FIN comes
  }

  // Clients reset and vanish from time to time: that ends this connection, never the server.
  connection.on('error', (error: NodeJS.ErrnoException) =>
    log(`${client}: ${error.code ?? error.message}, connection dropped`),
  );
  connection.on('data', (chunk: Buffer) => {
    if (answered) return; // after the answer we only drain, so closing sends FIN, not RST
    request = Buffer.concat([request, chunk]); // TCP is a byte stream: keep what came so far
    if (endOfHead(request) !== -1) answer();
  });
  connection.on('end', () => {
    // The client finished sending without a blank line (`nc -N`): answer what it sent.
    if (answered) return;
    if (request.length > 0) answer();
    else connection.destroy();
  });
}
// #endregion

if (isProgram('webserver1')) await main(listen);
