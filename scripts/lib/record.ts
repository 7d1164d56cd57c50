/**
 * Re-recording golden transcripts from the running code: the logic behind
 * `npm run record`.
 *
 * A transcript's request bytes are what a client sent; its response bytes are
 * what the course's server answered. When a lesson or an exercise changes what
 * the server sends, the response file must change with it. This starts the
 * part's server the way the transcript tests do (127.0.0.1, port 0, the fixed
 * clock of FIXED_DATE), replays the stored request bytes with the stored
 * writes and pauses, and returns the bytes that came back, so the caller can
 * show the difference and write them.
 *
 * The unit written is a response FILE, not a transcript: several transcripts
 * share one (Part 1's seven requests all expect hello.response). Recording one
 * of them replays every transcript that expects the same file, and the file is
 * written only when they all agree, so the others cannot silently go stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { listen } from '../../part1/webserver1b.ts';
import { loadApplication } from '../../part2/loader.ts';
import { byteDiff } from './compare.ts';
import { startGateway } from './servers.ts';
import { startStep } from './running-steps.ts';
import { replay, type Transcript } from './transcripts.ts';
import type { Ending, Target } from './wire.ts';

/** A server started for recording. */
export interface RecordingServer {
  target: Target;
  /** What the transcript was recorded against, for the report: `webserver1b`, `webserver2 running hello`, `3a`. */
  label: string;
  close(): Promise<void>;
}

/** Which part, and for Part 3 which steps. */
export interface RecordOptions {
  part: 1 | 2 | 3;
  /** Part 2: replay on webserver2b.ts (persistent connections), as part2/transcripts/persistent needs. */
  persistent?: boolean;
  /** Part 3: the step for transcripts without an app. Default '3a' (any of 3a-3g sends the same bytes). */
  step?: string;
  /** Part 3: the step for transcripts with an app. Default '3i' (with one worker); '3h' works too. */
  appStep?: string;
  /** How long the server may stay silent before the replay gives up, in ms. Default 5000. */
  idleTimeoutMs?: number;
}

/** One response file: what is stored, what the server sends now, and who expects it. */
export interface Recording {
  /** File name in the transcripts folder. */
  file: string;
  /** The transcripts that expect this file, by name. */
  names: string[];
  /** What the server was run as: `webserver1b`, `3i running hello` (one entry per distinct server). */
  against: string[];
  stored: Buffer;
  /** The bytes to write; undefined when the replays did not agree or did not end cleanly (see `problem`). */
  recorded?: Buffer;
  /** Why nothing can be written: replays that disagree, or a connection that did not close. */
  problem?: string;
}

/** The options Part 3's tests give each step so that it answers at once (part3/transcripts.test.ts). */
const QUICK: Record<string, string[]> = { '3b': ['--sleep', '0'], '3c': ['--sleep', '0'], '3e': ['--busy', '0'], '3f': ['--sleep', '0'] };

/**
 * Starts the server a transcript is replayed against, as the part's transcript
 * test does: Part 1's webserver1b, Part 2's gateway server running the
 * transcript's app (default hello), a Part 3 step (3a for plain transcripts,
 * 3i with one worker for those that name an app). Throws for 3d, whose
 * clients never see the end of the stream while the parent lives.
 */
export async function startFor(transcript: Transcript, options: RecordOptions): Promise<RecordingServer> {
  if (options.part === 1) {
    const server = await listen(0, '127.0.0.1', () => {});
    const target = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
    return { target, label: 'webserver1b', close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  if (options.part === 2) {
    const app = transcript.app ?? 'hello';
    const gateway = await startGateway(await loadApplication(app), {}, options.persistent ?? false);
    const server = options.persistent ? 'webserver2b' : 'webserver2';
    return { target: gateway.target, label: `${server} running ${app}`, close: gateway.close };
  }
  const step = transcript.app ? (options.appStep ?? '3i') : (options.step ?? '3a');
  if (step === '3d') throw new Error('3d never closes a client connection while the parent lives: record against another step (--step 3c)');
  const args = step === '3i' ? ['--workers', '1'] : (QUICK[step] ?? []);
  const running = await startStep(step, args, transcript.app ? { app: transcript.app } : {});
  return { target: running.target, label: transcript.app ? `${step} running ${transcript.app}` : step, close: running.stop };
}

/** Replays one transcript against a fresh server and returns the bytes and how the connection ended. */
async function replayOne(transcript: Transcript, options: RecordOptions): Promise<{ bytes: Buffer; ending: Ending; label: string }> {
  const server = await startFor(transcript, options);
  try {
    const result = await replay(server.target, transcript, options.idleTimeoutMs ?? 5000);
    return { bytes: result.bytes, ending: result.ending, label: server.label };
  } finally {
    await server.close();
  }
}

/**
 * Picks the transcripts named (all when `names` is empty), widened to every
 * transcript that shares a response file with one of them, grouped by that
 * file. Throws on a name the manifest does not list.
 */
export function groupByResponse(transcripts: Transcript[], names: string[]): Map<string, Transcript[]> {
  for (const name of names) {
    if (!transcripts.some((t) => t.name === name)) {
      throw new Error(`no transcript named ${name}; these exist: ${transcripts.map((t) => t.name).join(', ')}`);
    }
  }
  const files = new Set(transcripts.filter((t) => names.length === 0 || names.includes(t.name)).map((t) => t.response));
  const groups = new Map<string, Transcript[]>();
  for (const transcript of transcripts) {
    if (files.has(transcript.response)) groups.set(transcript.response, [...(groups.get(transcript.response) ?? []), transcript]);
  }
  return groups;
}

/**
 * Replays the named transcripts (and those sharing their response files)
 * against freshly started servers, one server per replay, and returns one
 * Recording per response file. Writes nothing.
 */
export async function record(dir: string, transcripts: Transcript[], names: string[], options: RecordOptions): Promise<Recording[]> {
  const recordings: Recording[] = [];
  for (const [file, group] of groupByResponse(transcripts, names)) {
    if (group.length === 1 && group[0]!.parts.length > 1) {
      recordings.push(...(await recordParts(dir, group[0]!, options)));
      continue;
    }
    const results = [];
    for (const transcript of group) results.push({ name: transcript.name, ...(await replayOne(transcript, options)) });
    const recording: Recording = {
      file,
      names: group.map((t) => t.name),
      against: [...new Set(results.map((r) => r.label))],
      stored: readFileSync(join(dir, file)),
    };
    const unclosed = results.find((r) => r.ending !== 'end');
    const first = results[0]!;
    const disagreeing = results.find((r) => !r.bytes.equals(first.bytes));
    if (unclosed) {
      recording.problem = `${unclosed.name}: the server did not close the connection (${unclosed.ending}) after ${unclosed.bytes.length} bytes`;
    } else if (disagreeing) {
      recording.problem = [
        `${first.name} and ${disagreeing.name} share ${file} but now get different bytes; give one its own "response" in transcripts.json`,
        ...byteDiff(first.bytes, disagreeing.bytes, { expected: first.name, actual: disagreeing.name }),
      ].join('\n');
    } else {
      recording.recorded = first.bytes;
    }
    recordings.push(recording);
  }
  return recordings;
}

/**
 * Records a transcript of several exchanges on one connection: one replay, its bytes split into
 * one response file per exchange, each final response starting at its status line (a 1xx, such
 * as 100 Continue, stays with the exchange it belongs to). A replay that does not split into as
 * many responses as the transcript has exchanges is a problem, not a recording.
 */
async function recordParts(dir: string, transcript: Transcript, options: RecordOptions): Promise<Recording[]> {
  const result = await replayOne(transcript, options);
  const text = result.bytes.toString('latin1');
  const starts = [...text.matchAll(/(?<=\n|^)HTTP\/1\.\d [2-5]\d\d[ \r\n]/g)].map((match) => match.index);
  // A 1xx before a final response belongs to that response's exchange.
  const begins = starts.map((start, i) => (i === 0 ? 0 : start));
  let problem: string | undefined;
  if (result.ending !== 'end') problem = `${transcript.name}: the server did not close the connection (${result.ending}) after ${result.bytes.length} bytes`;
  else if (starts.length !== transcript.parts.length) problem = `${transcript.name}: ${starts.length} responses came back for ${transcript.parts.length} exchanges`;
  return transcript.parts.map((part, i) => {
    const recording: Recording = { file: part.response, names: [transcript.name], against: [result.label], stored: readFileSync(join(dir, part.response)) };
    if (problem) recording.problem = problem;
    else recording.recorded = result.bytes.subarray(begins[i], begins[i + 1] ?? result.bytes.length);
    return recording;
  });
}

/** True when a recording has new bytes that differ from the stored file. */
export function changed(recording: Recording): boolean {
  return recording.recorded !== undefined && !recording.recorded.equals(recording.stored);
}

/** The lines that show what recording changes in a file, CR and LF visible; empty when nothing changes. */
export function showChange(recording: Recording): string[] {
  if (!changed(recording)) return [];
  return byteDiff(recording.stored, recording.recorded!, { expected: `stored ${recording.file}`, actual: 'recorded' });
}
