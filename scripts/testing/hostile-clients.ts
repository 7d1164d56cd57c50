/**
 * Clients that every public server meets and that send no proper request:
 * a port check that connects and closes, a reset, a half-close, a client
 * that stays silent or sends a byte at a time. Part 3's tests set them on
 * the forking servers and check that no child outlives them.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Target } from '../lib/wire.ts';

/** What the client does once connected. */
export type HostileKind =
  | 'empty' // closes (FIN) without sending a byte: a port check, a cancelled preconnect
  | 'reset' // resets (RST) at once, while the server is still handing the connection over
  | 'reset-after-bytes' // sends half a request line, then resets
  | 'half-close' // sends part of a head, then shuts down its sending side (nc -N), and reads
  | 'silent' // sends nothing and waits: the server's idle timeout must end it
  | 'trickle'; // sends a byte every TRICKLE_MS, four of them, then waits like 'silent'

export const HOSTILE_KINDS: readonly HostileKind[] = ['empty', 'reset', 'reset-after-bytes', 'half-close', 'silent', 'trickle'];

/** The pause between a trickling client's bytes, in ms: a slow client, kept short for the tests' time. */
export const TRICKLE_MS = 150;

/** Resolves once `socket` has connected, or closed without connecting (then it is destroyed). */
function connected(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
}

/**
 * Opens one client of `kind` to `target` and resolves when the connection
 * has closed, whichever side closed it. Never rejects: a reset or refusal is
 * the point, and resolves with its error code; otherwise with what was received.
 */
export async function hostileClient(target: Target, kind: HostileKind): Promise<{ received: Buffer; error?: string }> {
  const socket = connect({ ...target, allowHalfOpen: true, noDelay: true });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('end', () => socket.destroy()); // the server has finished: close our side too
  // Resets are what some of these clients do, and what the server may answer with.
  socket.on('error', (failure: NodeJS.ErrnoException) => (error ??= failure.code ?? failure.message));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await connected(socket);
  if (!socket.destroyed) {
    if (kind === 'empty') socket.destroy();
    if (kind === 'reset') socket.resetAndDestroy();
    if (kind === 'reset-after-bytes') socket.write('GET /hel', () => socket.resetAndDestroy());
    if (kind === 'half-close') socket.end('GET /hello HTTP/1.1\r\nHost: x\r\n');
    if (kind === 'trickle') {
      for (const byte of 'GET ') {
        if (socket.destroyed) break;
        socket.write(byte);
        await sleep(TRICKLE_MS);
      }
    }
  }
  await closed;
  return { received: Buffer.concat(chunks), ...(error ? { error } : {}) };
}
