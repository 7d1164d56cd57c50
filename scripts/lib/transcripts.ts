/**
 * Golden transcripts: exact request bytes and exact response bytes, stored
 * untouched in `partN/transcripts/` (see .gitattributes) and listed in that
 * folder's `transcripts.json`. The tests replay them against our servers; the
 * compare script replays them against anybody's. A transcript may hold several
 * exchanges on one connection (persistent connections, RFC 9112 §9.3): each
 * request goes out once the response before it has arrived whole.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { exchange, splitLines, type Ending, type Exchange, type Target } from './wire.ts';

/** How the request bytes are written to the socket. */
export type Send =
  /** In one write. */
  | 'whole'
  /** One line (up to and including LF) per write, with a pause between: telnet's line mode. */
  | 'lines'
  /** One byte per write: telnet's character mode, the worst case for a server that reads once. */
  | 'bytes';

/** One entry of `transcripts.json`, as written there. */
export interface TranscriptEntry {
  /** Short id, also the file stem of the request: `telnet` -> `telnet.request`. */
  name: string;
  /** One sentence: who sends this, and what it shows. */
  about: string;
  /** Request file in the same folder. Default `NAME.request`. */
  request?: string;
  /** Response file in the same folder. Default `NAME.response`. */
  response?: string;
  /** Default 'whole'. */
  send?: Send;
  /** Pause between writes in ms when `send` is not 'whole'. Default 20. */
  pauseMs?: number;
  /** Send a FIN after the request, as `nc -N` does. Default false. */
  halfClose?: boolean;
  /** Part 2 and 3: the application the server runs, as `module:export`. */
  app?: string;
  /**
   * Several exchanges on one connection, in order: each request is sent once the response
   * before it has come whole. `request` and `response` then default to the first pair's.
   */
  exchanges?: Array<{ request: string; response: string }>;
}

/** One exchange of a transcript with its bytes. */
export interface Part {
  request: string;
  response: string;
  requestBytes: Buffer;
  responseBytes: Buffer;
}

/** A transcript with its bytes loaded. */
export interface Transcript extends Required<Omit<TranscriptEntry, 'app' | 'exchanges'>> {
  app?: string;
  /** Folder the files came from. */
  dir: string;
  /** Every request, and every response, one after the other. */
  requestBytes: Buffer;
  responseBytes: Buffer;
  /** The exchanges on the connection: one, unless the entry lists `exchanges`. */
  parts: Part[];
}

/**
 * Loads every transcript listed in `DIR/transcripts.json`. `read` reads a file of the folder
 * by name (default: from disk; `npm run compare` reads the committed ones, through git).
 * Throws if the manifest or a file it names is missing.
 */
export function loadTranscripts(dir: string, read: (name: string) => Buffer = (name) => readFileSync(join(dir, name))): Transcript[] {
  const entries = JSON.parse(read('transcripts.json').toString('utf8')) as TranscriptEntry[];
  return entries.map((entry) => {
    const request = entry.request ?? entry.exchanges?.[0]?.request ?? `${entry.name}.request`;
    const response = entry.response ?? entry.exchanges?.[0]?.response ?? `${entry.name}.response`;
    const parts = (entry.exchanges ?? [{ request, response }]).map((part) => ({
      ...part,
      requestBytes: read(part.request),
      responseBytes: read(part.response),
    }));
    return {
      name: entry.name,
      about: entry.about,
      request,
      response,
      send: entry.send ?? 'whole',
      pauseMs: entry.pauseMs ?? 20,
      halfClose: entry.halfClose ?? false,
      ...(entry.app ? { app: entry.app } : {}),
      dir,
      requestBytes: Buffer.concat(parts.map((part) => part.requestBytes)),
      responseBytes: Buffer.concat(parts.map((part) => part.responseBytes)),
      parts,
    };
  });
}

/** The writes a transcript's `send` mode makes of its request bytes (of one part's, if given). */
export function writesOf(transcript: Transcript, bytes: Buffer = transcript.requestBytes): Buffer[] {
  switch (transcript.send) {
    case 'whole':
      return [bytes];
    case 'lines':
      return splitLines(bytes);
    case 'bytes':
      return [...bytes].map((byte) => Buffer.of(byte));
  }
}

/** What came back from a replay; `closedAfter`: exchanges answered before the server closed early. */
export type Replay = Exchange & { closedAfter?: number };

/** Replays one transcript's request against `target` and returns what came back. */
export function replay(target: Target, transcript: Transcript, idleTimeoutMs?: number): Promise<Replay> {
  if (transcript.parts.length > 1) return replayParts(target, transcript, idleTimeoutMs ?? 5000);
  return exchange(target, writesOf(transcript), {
    pauseMs: transcript.send === 'whole' ? 0 : transcript.send === 'bytes' ? Math.min(transcript.pauseMs, 2) : transcript.pauseMs,
    halfClose: transcript.halfClose,
    ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
  });
}

/**
 * Replays a transcript of several exchanges on one connection: the first request, then each
 * next one once the responses so far have arrived whole (as many bytes as the golden ones), then
 * reads to the end. A server that closes before the last exchange was sent stops the replay and
 * `closedAfter` says after how many.
 */
async function replayParts(target: Target, transcript: Transcript, idleTimeoutMs: number): Promise<Replay> {
  const socket = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let received = 0;
  let wanted = 0;
  let wake = () => {};
  let ended: { ending: Ending; error?: NodeJS.ErrnoException } | undefined;
  const finish = (ending: Ending, error?: NodeJS.ErrnoException) => {
    ended ??= error ? { ending, error } : { ending };
    socket.destroy();
    wake();
  };
  socket.setTimeout(idleTimeoutMs, () => finish('timeout'));
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
    if (received >= wanted) wake();
  });
  socket.on('end', () => finish('end'));
  socket.on('error', (error: NodeJS.ErrnoException) => finish('error', error)); // reported below
  socket.on('connect', () => wake());
  /** Resolves once `condition` holds; checked again on every socket event. */
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      wake = () => {
        if (condition()) resolve();
      };
      wake();
    });
  await until(() => socket.readyState === 'open' || ended !== undefined);
  let answered = 0;
  for (const part of transcript.parts) {
    if (ended) break;
    for (const [i, bytes] of writesOf(transcript, part.requestBytes).entries()) {
      if (i > 0) await sleep(transcript.send === 'bytes' ? Math.min(transcript.pauseMs, 2) : transcript.pauseMs);
      if (!ended) socket.write(bytes);
    }
    wanted += part.responseBytes.length;
    await until(() => received >= wanted || ended !== undefined);
    if (received >= wanted) answered++;
  }
  if (transcript.halfClose && !ended) socket.end();
  await until(() => ended !== undefined);
  const bytes = Buffer.concat(chunks);
  const early = answered < transcript.parts.length && ended!.ending === 'end';
  return { bytes, ...ended!, ...(early ? { closedAfter: answered } : {}) };
}
