/**
 * Comparing servers by their bytes: the logic behind `npm run compare`.
 *
 * Replays a part's golden transcripts against any server (ours, or a
 * student's in any language) and reports, per transcript, whether the
 * response matched byte for byte; or sends the same requests to two servers
 * and reports where their responses differ.
 */
import { diffLines } from 'diff';
import { replay, type Transcript } from './transcripts.ts';
import { firstDifference, visible, type Exchange, type Target } from './wire.ts';

/** How to compare. */
export interface CompareOptions {
  /** Header fields whose values are ignored, lower case: `['date', 'server']`. */
  mask: string[];
  /** How long a server may stay silent before we stop waiting, in ms. */
  timeoutMs: number;
}

/** The verdict on one transcript. */
export interface Outcome {
  name: string;
  ok: boolean;
  /** What to print under the verdict line: why it failed and the diff. Empty when ok. */
  details: string[];
}

/** Thrown when nothing listens at a target: the one line to print. */
export class NothingListening extends Error {}

/**
 * Replaces the values of the `names` header fields in a message's head with
 * `*`, so a server's own clock and name do not count as differences. Works on
 * CRLF and bare-LF heads; the body is left alone.
 */
export function maskHeaders(bytes: Buffer, names: string[]): Buffer {
  if (names.length === 0) return bytes;
  const text = bytes.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const headEnd = end ? end.index + end[0].length : text.length;
  const head = text.slice(0, headEnd).replace(/^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n]*)/gm, (line, name: string) =>
    names.includes(name.toLowerCase()) ? `${name}: *` : line,
  );
  return Buffer.from(head + text.slice(headEnd), 'latin1');
}

/** One line on how an exchange ended, when that is not the normal end of stream. */
export function describeEnding(result: Exchange, timeoutMs: number): string | undefined {
  if (result.ending === 'timeout') {
    return `no end of stream after ${timeoutMs} ms of silence: the server kept the connection open (these transcripts expect it to close after the response, as Connection: close says)`;
  }
  if (result.ending === 'error') {
    return `the connection failed after ${result.bytes.length} bytes: ${result.error?.code ?? result.error?.message}`;
  }
  return undefined;
}

/**
 * Shows how `actual` differs from `expected`: the first differing byte's
 * offset, then a line diff with CR and LF visible (`-` expected, `+` actual).
 */
export function byteDiff(expected: Buffer, actual: Buffer, labels = { expected: 'expected', actual: 'actual' }): string[] {
  const at = firstDifference(expected, actual);
  if (at === -1) return [];
  const lines = [
    `first difference at byte ${at} (${labels.expected} has ${expected.length} bytes, ${labels.actual} ${actual.length}); CR and LF shown as \\r \\n`,
    `--- ${labels.expected}`,
    `+++ ${labels.actual}`,
  ];
  for (const part of diffLines(visible(expected), visible(actual))) {
    const mark = part.added ? '+' : part.removed ? '-' : ' ';
    for (const line of part.value.replace(/\n$/, '').split('\n')) lines.push(`${mark} ${line}`);
  }
  return lines;
}

/**
 * Replays each transcript against `target` and compares the response with
 * the golden one, after masking.
 * @throws NothingListening when the first connection is refused.
 */
export async function compareWithTranscripts(target: Target, transcripts: Transcript[], options: CompareOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const transcript of transcripts) {
    const result = await replay(target, transcript, options.timeoutMs);
    refuseIfNothingListens(result, target);
    const expected = maskHeaders(transcript.responseBytes, options.mask);
    const actual = maskHeaders(result.bytes, options.mask);
    const ending = describeEnding(result, options.timeoutMs);
    const diff = byteDiff(expected, actual, { expected: `golden ${transcript.name}.response`, actual: `${target.host}:${target.port}` });
    outcomes.push({ name: transcript.name, ok: diff.length === 0 && !ending, details: [...(ending ? [ending] : []), ...diff] });
  }
  return outcomes;
}

/**
 * Sends each transcript's request to `a` and to `b` and compares the two
 * responses with each other, after masking.
 * @throws NothingListening when a connection is refused.
 */
export async function compareTwo(a: Target, b: Target, transcripts: Transcript[], options: CompareOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const transcript of transcripts) {
    const [left, right] = await Promise.all([replay(a, transcript, options.timeoutMs), replay(b, transcript, options.timeoutMs)]);
    refuseIfNothingListens(left, a);
    refuseIfNothingListens(right, b);
    const details: string[] = [];
    for (const [result, target] of [[left, a], [right, b]] as const) {
      const ending = describeEnding(result, options.timeoutMs);
      if (ending) details.push(`${target.host}:${target.port}: ${ending}`);
    }
    details.push(
      ...byteDiff(maskHeaders(left.bytes, options.mask), maskHeaders(right.bytes, options.mask), {
        expected: `${a.host}:${a.port}`,
        actual: `${b.host}:${b.port}`,
      }),
    );
    outcomes.push({ name: transcript.name, ok: details.length === 0, details });
  }
  return outcomes;
}

function refuseIfNothingListens(result: Exchange, target: Target): void {
  if (result.ending === 'error' && result.bytes.length === 0 && result.error?.code === 'ECONNREFUSED') {
    throw new NothingListening(`Nothing is listening on ${target.host}:${target.port} (connection refused): start the server first, or check --target`);
  }
}

/** Parses `HOST:PORT` (or `[::1]:PORT`). @throws Error with a one-line message. */
export function parseTarget(text: string): Target {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new Error(`'${text}' is not HOST:PORT, e.g. localhost:8888`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
