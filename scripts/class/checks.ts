/**
 * The checks `npm run class` runs against each student's server, as cells of
 * a matrix. A kind of check is a name and a `run(target, deadline)` that
 * resolves with one cell per thing it checked; compare (Part N's golden
 * transcripts) is the first kind, built on the compare engine. Another kind
 * (probe's robustness cases) plugs in as one more CheckKind in
 * `kindsFor()` (scripts/class.ts).
 */
import { fileURLToPath } from 'node:url';
import {
  byteDiff,
  describeEarlyAnswer,
  describeEarlyClose,
  describeEnding,
  maskHeaders,
  replayWatching,
  selectTranscripts,
  type Replayed,
} from '../lib/compare.ts';
import { loadTranscripts, writesOf, type Transcript } from '../lib/transcripts.ts';
import type { Target } from '../lib/wire.ts';
import { DEADLINE, TOO_LONG, withDeadline } from './deadline.ts';

/** A cell's verdict. */
export type Verdict =
  /** The exact bytes, at the right time. */
  | 'pass'
  /** An HTTP response, but not the expected one (or early, or not closed). */
  | 'differs'
  /** No connection: refused, no route, no such host. */
  | 'refused'
  /** Connected (or tried to), and nothing came back within the time limit. */
  | 'timeout'
  /** Bytes came back, and they are not an HTTP response. */
  | 'garbage';

export const VERDICTS: readonly Verdict[] = ['pass', 'differs', 'refused', 'timeout', 'garbage'];

/** One check's result on one server. */
export interface Cell {
  /** What was checked, unique within its kind: a transcript's name. */
  check: string;
  verdict: Verdict;
  /** Why, and the byte diff with CR and LF visible (`- ` expected, `+ ` actual). Empty on a pass. */
  details: string[];
}

/** A kind of check: compare against Part N, probe, ... */
export interface CheckKind {
  /** Shown above its columns: `part 1`, `part 2, app hello`. */
  name: string;
  /** The names of its checks, in column order (also the cells of a server it could not reach). */
  checks: string[];
  /** How long one run on one server may take at most, in ms: the runner's deadline is now + this. */
  limitMs: number;
  /**
   * Checks the server at `target` and resolves with a cell per check, by `deadline` (a Date.now()
   * time in ms). Never rejects for anything the server does: a dead server is cells saying so.
   */
  run(target: Target, deadline: number): Promise<Cell[]>;
}

/** How the compare kind replays. */
export interface CompareKindOptions {
  /** `1`, `2`, `2b` or `3`. */
  part: string;
  /** Part 2's and 3's app-bound transcripts: which app's (compare's --app). */
  app?: string;
  /** Header fields whose values are ignored (compare's --mask). */
  mask: string[];
  /** The longest silence, and the time after the request is sent for the whole answer, in ms. */
  timeoutMs: number;
}

/** The transcripts folder of a part, as compare reads it. */
export function transcriptsDir(part: string): string {
  const folder = part === '2b' ? 'part2/transcripts/persistent' : `part${part}/transcripts`;
  return fileURLToPath(new URL(`../../${folder}`, import.meta.url));
}

/**
 * Compare as a kind of check: Part N's golden transcripts (compare's selection), a cell each.
 * @throws Error with compare's one line when `app` names no transcripts of the part
 */
export function compareKind(options: CompareKindOptions): CheckKind {
  const { transcripts } = selectTranscripts(loadTranscripts(transcriptsDir(options.part)), options.app);
  return {
    name: `part ${options.part}${transcripts[0]?.app ? `, app ${transcripts[0].app}` : ''}`,
    checks: transcripts.map((transcript) => transcript.name),
    // Each transcript takes its request as paced, then at most --timeout for the answer. Twice
    // their sum: room for connecting and for a busy machine's late timers, so only a check that
    // outlives its own limits (or a machine far too busy to pace requests) meets this one.
    limitMs: 2 * transcripts.reduce((sum, transcript) => sum + sendingMs(transcript) + options.timeoutMs, 0),
    async run(target, deadline) {
      const cells: Cell[] = [];
      for (const transcript of transcripts) {
        const result = await withDeadline(deadline, options.timeoutMs, () => replayWatching(target, transcript, options.timeoutMs));
        cells.push(judge(transcript, result, target, options));
      }
      return cells;
    },
  };
}

/** How long the engine takes to write a transcript's request: its pauses between writes (replay()'s). */
function sendingMs(transcript: Transcript): number {
  const pauseMs = transcript.send === 'whole' ? 0 : transcript.send === 'bytes' ? Math.min(transcript.pauseMs, 2) : transcript.pauseMs;
  const writes = transcript.parts.reduce((sum, part) => sum + writesOf(transcript, part.requestBytes).length, 0);
  return writes * pauseMs;
}

/** Connection errors that mean no connection was made at all. */
const NO_CONNECTION = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** A cell from one replay: compare's notes and byte diff, and the verdict they add up to. */
export function judge(transcript: Transcript, result: Replayed, target: Target, options: CompareKindOptions): Cell {
  const code = result.error?.code;
  const check = transcript.name;
  const where = `${target.host}:${target.port}`;
  if (result.bytes.length === 0 && code !== undefined && NO_CONNECTION.has(code)) {
    return { check, verdict: 'refused', details: [`no connection to ${where}: ${code} (is the server running, on --host 0.0.0.0, and let through the firewall?)`] };
  }
  const cut = code === DEADLINE || code === TOO_LONG ? result.error!.message : undefined;
  if (result.bytes.length === 0 && (result.ending === 'timeout' || code === DEADLINE)) {
    return { check, verdict: 'timeout', details: [cut ?? describeEnding(result, options.timeoutMs)!] };
  }
  const notes = [describeEarlyAnswer(result, transcript.requestBytes), describeEarlyClose(result, transcript), cut ?? describeEnding(result, options.timeoutMs)];
  const diff = byteDiff(maskHeaders(transcript.responseBytes, options.mask), maskHeaders(result.bytes, options.mask), {
    expected: `golden ${transcript.response}`,
    actual: where,
  });
  const details = [...notes.filter((note) => note !== undefined), ...diff];
  if (details.length === 0) return { check, verdict: 'pass', details };
  // RFC 9112 §4: a response starts with its status line, HTTP-version first.
  const http = /^HTTP\/\d\.\d /.test(result.bytes.subarray(0, 9).toString('latin1'));
  return { check, verdict: http || result.bytes.length === 0 ? 'differs' : 'garbage', details };
}
