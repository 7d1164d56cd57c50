/**
 * What a connection needs beyond the original's recv, send and close: finding
 * the end of a request head in a byte stream, the limits a hostile client
 * meets, the lingering close, and one line a student can act on when listen()
 * fails. Part 1's steps use it (webserver1.ts the end of the head,
 * webserver1b.ts all of it), and so do Part 2's and Part 3's servers.
 */
import type { Socket } from 'node:net';

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
 * sends, in ms (see {@link lingeringClose}): enough for bytes already on their
 * way; a client that keeps sending is not reading.
 */
export const LINGER_MS = 2_000;
/** How many bytes at most we read and drop after our response (see {@link LINGER_MS}). */
export const LINGER_BYTES = 256 * 1024;
// #endregion

// #region lingering-close
/**
 * Closes the connection after the response without losing it. Closing a socket
 * with unread bytes makes the kernel send RST instead of FIN, which can wipe out
 * the response before the client reads it. So while the client may still be
 * sending (`linger`, the default; see {@link mayStillSend}), this is a lingering
 * close (RFC 9112 §9.6): FIN, then read and drop what comes, for LINGER_MS and
 * LINGER_BYTES at most. When nothing more can arrive (`linger` false), close(2)
 * at once, as Python's close(): the kernel sends what it holds, then FIN.
 */
export function lingeringClose(connection: Socket, linger = true): void {
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
