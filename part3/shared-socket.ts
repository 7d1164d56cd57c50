/**
 * How 3i's pool shares one listening socket among its workers, written
 * apart from the arbiter (webserver3i.ts) so that each reads on its own.
 *
 * The primary holds the listening socket for the life of the pool, as
 * gunicorn's arbiter does, and never accepts on it: the first worker creates
 * it and sends it to the primary over IPC, and the primary sends it to every
 * worker it starts (3c's hand-over, once per worker for the listening socket
 * instead of once per connection). Each worker accepts on it itself.
 * Node's cluster module could share the socket for us, but it closes the
 * socket when its last worker is gone, whatever the policy (SCHED_NONE: the
 * workers accept; SCHED_RR: the primary accepts every connection and passes
 * it on); `--schedule rr` hands the sharing back to cluster, to measure the
 * difference (04-pool.md).
 */
import type { Worker } from 'node:cluster';
import type { Server } from 'node:net';

/**
 * The listening socket as the primary holds it: Node's handle for the
 * descriptor, without a net.Server around it, so nothing accepts on it.
 * A worker sends `server._handle`, not the server: Node passes a bare handle
 * as it is ('net.Native' in lib/internal/child_process.js), where a server
 * would be made into a listening net.Server on arrival, and accept.
 */
export interface ListeningSocket {
  close(): void;
}

/** The primary's side of the sharing. */
export interface SocketSharing {
  /** 'shared': we share the listening socket; 'rr': cluster does, and its primary accepts. */
  schedule: 'shared' | 'rr';
  /** The listening socket, ours for the life of the pool; we never accept on it. */
  listeningSocket?: ListeningSocket;
  /** The worker creating the listening socket, while it is not made yet. */
  binder?: Worker;
  /** Workers that asked for the listening socket before it was made. */
  waiting: Worker[];
}

/**
 * Answers a worker that listens for messages ('ready'; plumbing.ts,
 * passConnection, says why it must ask): the listening socket, or the job
 * of creating it.
 */
export function giveSocket(sharing: SocketSharing, worker: Worker): void {
  if (sharing.schedule === 'rr') worker.send('share');
  else if (sharing.listeningSocket) worker.send('listen', sharing.listeningSocket as never);
  else if (!sharing.binder) (sharing.binder = worker).send('bind');
  else sharing.waiting.push(worker);
}

/** The first worker made the listening socket (`handle`): keep it, give it to those waiting. */
export function keepSocket(sharing: SocketSharing, handle: ListeningSocket | undefined): void {
  if (!handle || sharing.listeningSocket) return;
  sharing.listeningSocket = handle;
  for (const waiting of sharing.waiting.splice(0)) giveSocket(sharing, waiting);
}

/** The message a worker sends once it accepts: `{ listening: PORT }`. */
export function isListening(message: unknown): message is { listening: number } {
  return typeof message === 'object' && message !== null && 'listening' in message;
}

/**
 * A worker's side: listens as the primary says, on its socket ('listen'), on
 * a new one ('bind'), or through cluster ('share'), then tells it the port.
 */
export function listenAsTold(
  server: Server,
  message: unknown,
  handle: object | undefined,
  address: { port: number; host: string; backlog: number },
): void {
  const port = () => (server.address() as { port: number }).port;
  const accepting = () => tellPrimary({ listening: port() });
  // The listening socket the primary holds: accept on it. Node calls listen(2) on it again,
  // with the backlog given here or its default of 511, which would replace ours.
  if (message === 'listen' && handle) server.listen(handle, address.backlog, accepting);
  // The first worker creates it (exclusive: not through cluster) and sends the primary its handle.
  if (message === 'bind') {
    server.listen({ ...address, exclusive: true }, () => {
      tellPrimary({ listening: port() }, (server as unknown as { _handle: object })._handle);
    });
  }
  if (message === 'share') server.listen(address, accepting); // --schedule rr: through cluster
}

/**
 * Sends the primary `message` (and `handle`). A worker whose IPC channel has
 * gone (the primary died) exits quietly: Node would otherwise throw
 * ERR_IPC_CHANNEL_CLOSED, and there is no pool left to serve for.
 */
export function tellPrimary(message: unknown, handle?: object): void {
  if (!process.connected) process.exit(0);
  const exitOnError = (error: Error | null) => error && process.exit(0);
  process.send!(message, handle as Server | undefined, {}, exitOnError);
}
