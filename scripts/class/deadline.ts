/**
 * A total time limit on a check, whatever the check does with its sockets.
 *
 * The compare engine waits on silence (its idle timeout), which a server that
 * trickles one byte a second never lets fire. Here every TCP connection a
 * check opens is noted (Node docs: diagnostics_channel `net.client.socket`,
 * published inside `net.connect()`; AsyncLocalStorage says which check called
 * it), and at the deadline each is destroyed with an error, which the engine's
 * own 'error' listener turns into the end of its exchange. A server that
 * sends without end is cut at MAX_ANSWER_BYTES the same way.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** More than any golden response (the largest is a few KiB): an answer past this is not one of them. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** The error code a socket is destroyed with at the deadline. */
export const DEADLINE = 'EDEADLINE';
/** The error code a socket is destroyed with past MAX_ANSWER_BYTES. */
export const TOO_LONG = 'ETOOLONG';

/** The sockets of the check running in this async context. */
const owner = new AsyncLocalStorage<Set<Socket>>();

subscribe('net.client.socket', (message) => {
  const sockets = owner.getStore();
  if (!sockets) return; // a connection made outside any check: not ours to limit
  const socket = (message as { socket: Socket }).socket;
  sockets.add(socket);
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
 * Runs `check`, and at `deadline` (a Date.now() time, ms) destroys every
 * connection it opened and has not closed, with the error code DEADLINE.
 * Resolves with what `check` resolves with.
 */
export async function withDeadline<T>(deadline: number, check: () => Promise<T>): Promise<T> {
  const sockets = new Set<Socket>();
  const timer = setTimeout(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.destroy(coded(DEADLINE, 'the time limit of this check'));
  }, Math.max(0, deadline - Date.now()));
  try {
    return await owner.run(sockets, check);
  } finally {
    clearTimeout(timer);
  }
}
