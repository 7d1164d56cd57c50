/**
 * Time limits on a check, whatever the check does with its sockets.
 *
 * The compare engine waits on silence (its idle timeout), which a server that
 * trickles one byte a second never lets fire. Here every TCP connection a
 * check opens is noted (Node docs: diagnostics_channel `net.client.socket`,
 * published inside `net.connect()`; AsyncLocalStorage says which check called
 * it) and destroyed with an error, which the engine's own 'error' listener
 * turns into the end of its exchange, when one of these comes first:
 * - `quietMs` after the check last wrote to it (the end of the request, as
 *   the check paced it): however the server trickles, the answer has that long;
 * - the check's `deadline`, for everything it has open;
 * - more than MAX_ANSWER_BYTES received: a server that sends without end.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** More than any golden response (the largest is a few KiB): an answer past this is not one of them. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** The error code a socket is destroyed with when a time limit runs out (its message says which). */
export const DEADLINE = 'EDEADLINE';
/** The error code a socket is destroyed with past MAX_ANSWER_BYTES. */
export const TOO_LONG = 'ETOOLONG';

/** The check running in this async context: its open sockets and its limit after the last write. */
interface Limits {
  sockets: Set<Socket>;
  quietMs: number;
}

const owner = new AsyncLocalStorage<Limits>();

subscribe('net.client.socket', (message) => {
  const limits = owner.getStore();
  if (!limits) return; // a connection made outside any check: not ours to limit
  const socket = (message as { socket: Socket }).socket;
  limits.sockets.add(socket);
  const cut = () => socket.destroy(coded(DEADLINE, `no end ${limits.quietMs} ms after the request was sent (the time limit of a check)`));
  let timer = setTimeout(cut, limits.quietMs);
  // Our own writes restart the clock (a request paced one byte at a time takes as long as it
  // takes); nothing the server does can.
  const restart = () => (clearTimeout(timer), (timer = setTimeout(cut, limits.quietMs)));
  const { write, end } = socket;
  socket.write = ((...args: Parameters<Socket['write']>) => (restart(), write.apply(socket, args))) as Socket['write'];
  socket.end = ((...args: Parameters<Socket['end']>) => (restart(), end.apply(socket, args))) as Socket['end'];
  socket.once('close', () => clearTimeout(timer));
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_ANSWER_BYTES) socket.destroy(coded(TOO_LONG, `more than ${MAX_ANSWER_BYTES} bytes in answer`));
  });
});

function coded(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * Runs `check` with its connections limited as above: each is cut `quietMs`
 * after the check's last write to it, and all at `deadline` (a Date.now()
 * time, ms). Resolves with what `check` resolves with.
 */
export async function withDeadline<T>(deadline: number, quietMs: number, check: () => Promise<T>): Promise<T> {
  const limits: Limits = { sockets: new Set(), quietMs };
  const timer = setTimeout(() => {
    for (const socket of limits.sockets) if (!socket.destroyed) socket.destroy(coded(DEADLINE, 'the total time limit of the check ran out'));
  }, Math.max(0, deadline - Date.now()));
  try {
    return await owner.run(limits, check);
  } finally {
    clearTimeout(timer);
  }
}
