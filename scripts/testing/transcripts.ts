/**
 * Golden transcripts: exact request bytes and exact response bytes, stored
 * untouched in `partN/transcripts/` (see .gitattributes) and listed in that
 * folder's `transcripts.json`. The tests replay them against our servers; the
 * compare script replays them against anybody's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchange, splitLines, type Exchange, type Target } from './wire.ts';

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
}

/** A transcript with its bytes loaded. */
export interface Transcript extends Required<Omit<TranscriptEntry, 'app'>> {
  app?: string;
  /** Folder the files came from. */
  dir: string;
  requestBytes: Buffer;
  responseBytes: Buffer;
}

/**
 * Loads every transcript listed in `DIR/transcripts.json`.
 * Throws if the manifest or a file it names is missing.
 */
export function loadTranscripts(dir: string): Transcript[] {
  const entries = JSON.parse(readFileSync(join(dir, 'transcripts.json'), 'utf8')) as TranscriptEntry[];
  return entries.map((entry) => {
    const request = entry.request ?? `${entry.name}.request`;
    const response = entry.response ?? `${entry.name}.response`;
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
      requestBytes: readFileSync(join(dir, request)),
      responseBytes: readFileSync(join(dir, response)),
    };
  });
}

/** The writes a transcript's `send` mode makes of its request bytes. */
export function writesOf(transcript: Transcript): Buffer[] {
  const bytes = transcript.requestBytes;
  switch (transcript.send) {
    case 'whole':
      return [bytes];
    case 'lines':
      return splitLines(bytes);
    case 'bytes':
      return [...bytes].map((byte) => Buffer.of(byte));
  }
}

/** Replays one transcript's request against `target` and returns what came back. */
export function replay(target: Target, transcript: Transcript, idleTimeoutMs?: number): Promise<Exchange> {
  return exchange(target, writesOf(transcript), {
    pauseMs: transcript.send === 'whole' ? 0 : transcript.send === 'bytes' ? Math.min(transcript.pauseMs, 2) : transcript.pauseMs,
    halfClose: transcript.halfClose,
    ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
  });
}
