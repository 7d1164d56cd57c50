/**
 * Raw TCP helpers shared by the tests and the scripts (compare, telnet, bench).
 *
 * Everything here speaks bytes: a request is a list of Buffers written in order,
 * a response is every byte read until the server closes the connection.
 * No HTTP library is involved, on purpose: the point is to see the wire.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where a server listens. */
export interface Target {
  host: string;
  port: number;
}

/** How an exchange ended. */
export type Ending =
  /** The server closed its side (FIN): the normal end of an HTTP/1.1 response that says `Connection: close`. */
  | 'end'
  /** The server said nothing more for `idleTimeoutMs`. */
  | 'timeout'
  /** The connection failed: refused, reset by the peer, ... (see `error`). */
  | 'error';

/** What came back from one exchange. */
export interface Exchange {
  /** Every byte received, in order. */
  bytes: Buffer;
  ending: Ending;
  /** The socket error when `ending` is 'error' (e.g. code ECONNREFUSED or ECONNRESET). */
  error?: NodeJS.ErrnoException;
}

/** Options of {@link exchange}. */
export interface ExchangeOptions {
  /** Pause between two writes, in ms, like a person typing line by line. Default 0. */
  pauseMs?: number;
  /** Close our sending side (shutdown(SHUT_WR), a FIN) after the last write. Default false. */
  halfClose?: boolean;
  /** Give up when the server is silent this long, in ms. Default 5000. */
  idleTimeoutMs?: number;
}

/**
 * Connects to `target`, writes each buffer of `writes` in order, and reads until
 * the server closes the connection (or goes silent, or fails).
 *
 * Never rejects: a refused or reset connection is reported in the result, so
 * a caller can compare what did arrive. Nagle's algorithm is off, so each write
 * leaves as its own TCP segment when `pauseMs` > 0.
 */
export async function exchange(
  target: Target,
  writes: readonly Buffer[],
  options: ExchangeOptions = {},
): Promise<Exchange> {
  const { pauseMs = 0, halfClose = false, idleTimeoutMs = 5000 } = options;
  const socket = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  const done = new Promise<Exchange>((resolve) => {
    const finish = (ending: Ending, error?: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), ending, ...(error ? { error } : {}) });
    };
    socket.setTimeout(idleTimeoutMs, () => finish('timeout'));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish('end'));
    // A refused or reset connection ends the exchange; the caller reads `error`.
    socket.on('error', (error: NodeJS.ErrnoException) => finish('error', error));
  });
  try {
    await waitForConnect(socket);
    for (let i = 0; i < writes.length; i++) {
      if (i > 0 && pauseMs > 0) await sleep(pauseMs);
      if (socket.destroyed) break;
      await write(socket, writes[i]!);
    }
    if (halfClose && !socket.destroyed) socket.end();
  } catch {
    // The 'error' listener above has already recorded why; fall through to `done`.
  }
  return done;
}

/** Resolves when connected, or when the socket closed without connecting (the timeout fired); rejects on error. */
function waitForConnect(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => resolve()); // then socket.destroyed is true and nothing is written
    socket.once('error', reject);
  });
}

function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Splits bytes after every LF, the way a person sends a request line by line
 * from telnet (each Enter sends one line). Keeps every byte.
 */
export function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

/**
 * Shows bytes as text with CR and LF made visible: `\r` and `\n` are written out
 * and the line is broken after each LF; other control bytes and bytes >= 0x7f
 * become `\xNN`. Used in every failure message.
 */
export function visible(bytes: Buffer | string): string {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  let out = '';
  for (const byte of buf) {
    if (byte === 0x0d) out += '\\r';
    else if (byte === 0x0a) out += '\\n\n';
    else if (byte === 0x09) out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else if (byte === 0x5c) out += '\\\\';
    else out += String.fromCharCode(byte);
  }
  return out;
}

/** Offset of the first byte where `a` and `b` differ, or -1 when they are equal. */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * Describes how `actual` differs from `expected`: the offset of the first
 * differing byte and both sides in full with CR and LF visible.
 * Returns '' when they are byte-for-byte equal.
 */
export function describeDifference(expected: Buffer, actual: Buffer): string {
  const at = firstDifference(expected, actual);
  if (at === -1) return '';
  const line = (buf: Buffer) => buf.subarray(0, at).toString('latin1').split('\n').length;
  return [
    `bytes differ at offset ${at} (line ${line(expected)}): expected ${expected.length} bytes, got ${actual.length}`,
    '--- expected',
    visible(expected),
    '--- actual',
    visible(actual),
    '---',
  ].join('\n');
}

/**
 * Throws an Error describing the difference unless `actual` equals `expected`
 * byte for byte. The message shows both sides with CR and LF visible.
 */
export function assertSameBytes(actual: Buffer, expected: Buffer, label = 'response'): void {
  const difference = describeDifference(expected, actual);
  if (difference) throw new Error(`${label}: ${difference}`);
}
