/**
 * What the exercises' checks share: serving the student's code (or using
 * --target), comparing bytes with a diff that shows CR and LF, and holding
 * a part's golden transcripts to what the server now sends.
 */
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { byteDiff, describeEnding } from '../lib/compare.ts';
import { loadTranscripts, replay, type Transcript } from '../lib/transcripts.ts';
import { exchange, type Target } from '../lib/wire.ts';
import { CheckFailure, type CheckContext } from './exercise.ts';

/** A server a check started, and how to stop it. */
export interface Served {
  target: Target;
  close(): Promise<void>;
}

/**
 * Runs `use` against the student's server: `ctx.target` when given
 * (--target), else the one `start` starts from the tree checked, stopped after.
 */
export async function withServer(ctx: CheckContext, start: () => Promise<Served>, use: (target: Target) => Promise<void>): Promise<void> {
  if (ctx.target) return use(ctx.target);
  let served: Served;
  try {
    served = await start();
  } catch (error) {
    if (error instanceof CheckFailure) throw error;
    throw new CheckFailure(`could not start your server: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    await use(served.target);
  } finally {
    await served.close();
  }
}

/** A Served for a node:net server listening on 127.0.0.1. */
export function served(server: Server): Served {
  return {
    target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resolves once `server` listens on 127.0.0.1 at a free port. */
export function listenOnFreePort(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * How long a server may stay silent before a check gives up on it, in ms: long enough for a busy
 * laptop (at a load of 30 on two cores, the course's own server, run in the checking process,
 * stayed silent for 3 s while that process waited for a CPU), short enough that a server that
 * never closes fails within seconds.
 */
const SILENCE_MS = 10_000;

/**
 * Sends `request` (one write), reads to the end of the stream, and returns
 * the bytes, allowing {@link SILENCE_MS} of silence.
 * @throws CheckFailure when the connection fails or the server never closes.
 */
export async function ask(target: Target, request: string): Promise<Buffer> {
  const timeoutMs = SILENCE_MS;
  const result = await exchange(target, [Buffer.from(request, 'latin1')], { idleTimeoutMs: timeoutMs });
  if (result.error?.code === 'ECONNREFUSED' && result.bytes.length === 0) {
    throw new CheckFailure(`nothing is listening on ${target.host}:${target.port} (connection refused): start your server first, or check --target`);
  }
  const ending = describeEnding(result, timeoutMs);
  if (ending) throw new CheckFailure(`${target.host}:${target.port}: ${ending}`, byteDiff(Buffer.alloc(0), result.bytes, { expected: 'nothing', actual: 'received' }));
  return result.bytes;
}

/** @throws CheckFailure with a byte diff unless `actual` equals `expected`. */
export function sameBytes(actual: Buffer, expected: Buffer, what: string): void {
  const diff = byteDiff(expected, actual, { expected: 'expected', actual: 'your server' });
  if (diff.length > 0) throw new CheckFailure(`${what}: the bytes differ`, diff);
}

/**
 * Replays every golden transcript of `part` (from the tree checked) against
 * `target` and fails on the first whose stored response is not what the
 * server sends now: after an exercise changes the bytes, the transcripts
 * must be re-recorded (`npm run record -- partN NAME`).
 */
export async function transcriptsAgree(ctx: CheckContext, part: string, target: Target, only?: (transcript: Transcript) => boolean): Promise<void> {
  const all = loadTranscripts(join(ctx.root, part, 'transcripts'));
  for (const transcript of all) {
    if (only && !only(transcript)) continue;
    const result = await replay(target, transcript, SILENCE_MS);
    const diff = byteDiff(transcript.responseBytes, result.bytes, { expected: `golden ${transcript.response}`, actual: 'your server' });
    if (diff.length > 0) {
      const sharing = all.filter((other) => other.response === transcript.response).length;
      const first = sharing > 1 ? `give it its own "response" file in ${part}/transcripts/transcripts.json (it shares ${transcript.response} with ${sharing - 1} others), then ` : '';
      throw new CheckFailure(`golden transcript ${transcript.name} is out of date: ${first}re-record it with npm run record -- ${part} ${transcript.name}`, diff);
    }
  }
}
