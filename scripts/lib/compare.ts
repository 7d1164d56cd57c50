/**
 * Comparing servers by their bytes: the logic behind `npm run compare`.
 *
 * Replays a part's golden transcripts against any server (ours, or a
 * student's in any language) and reports, per transcript, whether the
 * response matched byte for byte, and whether it came only after the whole
 * request had been sent; or sends the same requests to two servers and
 * reports where their responses differ.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { diffLines } from 'diff';
import { replay, writesOf, type Transcript } from './transcripts.ts';
import { firstDifference, visible, type Ending, type Exchange, type Target } from './wire.ts';

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

/** What came back from a replay, and when it started to come back. */
export interface Replayed extends Exchange {
  /** False when the TCP handshake never completed (refused, or no answer before the timeout). */
  connected: boolean;
  /** Request bytes written when the first response byte arrived; absent when nothing arrived. */
  sentBeforeAnswer?: number;
  /** Several exchanges: how many were answered before the server closed too early. */
  closedAfter?: number;
}

/**
 * Replays a transcript's request as `replay()` in transcripts.ts does (the
 * same writes, pauses and half-close), and also notes how many request bytes
 * had been written when the first response byte arrived.
 *
 * Why not `replay()` itself: a server that reads once and answers whatever
 * that read returned sends the right bytes at the wrong time. Against
 * telnet-chars (one byte per write) it answers after the `G`, and the
 * response alone looks perfect. Only the moment of the answer shows it.
 * Counting happens before each write: a byte on its way counts as sent.
 * Every wait also ends when the exchange does, so a server whose backlog is
 * full (it never accepts: the handshake never completes) times out like any
 * other silent server instead of leaving the replay waiting for 'connect'.
 */
export async function replayWatching(target: Target, transcript: Transcript, idleTimeoutMs: number): Promise<Replayed> {
  // Several exchanges on one connection: each request waits for the answer before it.
  if (transcript.parts.length > 1) return { ...(await replay(target, transcript, idleTimeoutMs)), connected: true };
  const writes = writesOf(transcript);
  // The pauses of replay(): none for one write, 2 ms at most between single bytes.
  const pauseMs = transcript.send === 'whole' ? 0 : transcript.send === 'bytes' ? Math.min(transcript.pauseMs, 2) : transcript.pauseMs;
  const socket = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let connected = false;
  let sent = 0;
  let sentBeforeAnswer: number | undefined;
  const done = new Promise<Replayed>((resolve) => {
    const finish = (ending: Ending, error?: NodeJS.ErrnoException) => {
      socket.destroy();
      const answer = sentBeforeAnswer === undefined ? {} : { sentBeforeAnswer };
      resolve({ bytes: Buffer.concat(chunks), ending, connected, ...(error ? { error } : {}), ...answer });
    };
    socket.setTimeout(idleTimeoutMs, () => finish('timeout'));
    socket.once('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => {
      sentBeforeAnswer ??= sent;
      chunks.push(chunk);
    });
    socket.on('end', () => finish('end'));
    // A refused or reset connection ends the replay; the caller reads `error`.
    socket.on('error', (error: NodeJS.ErrnoException) => finish('error', error));
  });
  try {
    await Promise.race([once(socket, 'connect'), done]);
    for (const [i, bytes] of writes.entries()) {
      if (i > 0 && pauseMs > 0) await sleep(pauseMs);
      if (socket.destroyed) break;
      sent += bytes.length;
      await Promise.race([new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve()))), done]);
    }
    if (transcript.halfClose && !socket.destroyed) socket.end();
  } catch {
    // The 'error' listener above has already recorded why; fall through to `done`.
  }
  return done;
}

/**
 * One line when the server answered before the whole request was sent, e.g.
 * after 1 of 23 bytes (`G`): it read once instead of reading to the end of
 * the head. Undefined when the answer came after the last byte.
 */
export function describeEarlyAnswer(result: Replayed, request: Buffer): string | undefined {
  const sent = result.sentBeforeAnswer;
  if (sent === undefined || sent >= request.length) return undefined;
  const shown = visible(request.subarray(0, sent)).replace(/\n/g, '');
  const quoted = shown.length <= 40 ? `"${shown}"` : `"...${visible(request.subarray(Math.max(0, sent - 20), sent)).replace(/\n/g, '')}"`;
  return `answered after ${sent} of ${request.length} request bytes (${quoted}), before the request was complete`;
}

/** Transcripts picked for a run, and a line saying which when it is not all of them. */
export interface Selection {
  transcripts: Transcript[];
  note?: string;
}

/**
 * Picks the transcripts to replay. Part 2's belong to applications (the
 * server must run that app), Part 3's partly (3h and 3i run an app, 3a-3g
 * answer Part 1's way). Without `app`: the transcripts that need no app if
 * there are any, else app 'hello''s. With `app`: that app's only.
 * @throws Error with a one-line message when nothing is left.
 */
export function selectTranscripts(all: Transcript[], app: string | undefined): Selection {
  const apps = [...new Set(all.flatMap((t) => (t.app === undefined ? [] : [t.app])))];
  const count = (n: number) => `${n} transcript${n === 1 ? '' : 's'}`;
  if (app === undefined) {
    const appless = all.filter((t) => t.app === undefined);
    if (appless.length === all.length) return { transcripts: all };
    if (appless.length > 0) {
      return { transcripts: appless, note: `Replaying the ${count(appless.length)} that need no app (--app NAME replays an app's instead: ${apps.join(', ')}).` };
    }
    app = 'hello';
  }
  const chosen = all.filter((t) => t.app === app);
  if (chosen.length === 0) {
    throw new Error(apps.length === 0 ? `these transcripts need no app: leave out --app` : `no transcripts for app '${app}' (apps: ${apps.join(', ')})`);
  }
  const others = apps.filter((name) => name !== app);
  return { transcripts: chosen, note: `Replaying the ${count(chosen.length)} of app '${app}'${others.length ? ` (--app NAME picks another: ${others.join(', ')})` : ''}.` };
}

/**
 * Shortens a byte diff that an earlier transcript already printed to one
 * line, `the same difference as telnet`, so that one wrong response does not
 * print seven identical diffs. The lines before the diff (answered early, no
 * end of stream) stay: they are about this exchange.
 */
export function foldRepeats(outcomes: Outcome[]): Outcome[] {
  const first = new Map<string, string>();
  return outcomes.map((outcome) => {
    const at = outcome.details.findIndex((line) => line.startsWith(DIFF_START));
    if (at === -1) return outcome;
    const key = outcome.details.slice(at).join('\n');
    const earlier = first.get(key);
    if (earlier !== undefined) return { ...outcome, details: [...outcome.details.slice(0, at), `the same difference as ${earlier}`] };
    first.set(key, outcome.name);
    return outcome;
  });
}

/**
 * Replaces the values of the `names` header fields in a message's head with
 * `*`, so a server's own clock and name do not count as differences. Works on
 * CRLF and bare-LF heads; the body is left alone.
 */
export function maskHeaders(bytes: Buffer, names: string[]): Buffer {
  if (names.length === 0) return bytes;
  let text = bytes.toString('latin1');
  let masked = '';
  // Every response's head: several responses follow one another on a persistent connection.
  for (let start = 0; start !== -1; start = nextStatusLine(text)) {
    masked += text.slice(0, start);
    text = text.slice(start);
    const end = /\r?\n\r?\n/.exec(text);
    const headEnd = end ? end.index + end[0].length : text.length;
    masked += text.slice(0, headEnd).replace(/^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n]*)/gm, (line, name: string) =>
      names.includes(name.toLowerCase()) ? `${name}: *` : line,
    );
    text = text.slice(headEnd);
  }
  return Buffer.from(masked + text, 'latin1');
}

/** Where the next response's status line starts in `text`, or -1. */
function nextStatusLine(text: string): number {
  return text.search(/(?<=\n|^)HTTP\/1\.\d \d{3}[ \r\n]/);
}

/** How many responses `bytes` holds: one per status line. */
function countResponses(bytes: Buffer): number {
  return bytes.toString('latin1').match(/(?<=\n|^)HTTP\/1\.\d [2-5]\d\d[ \r\n]/g)?.length ?? 0;
}

/**
 * One line when the server closed the connection before it had answered every request the
 * transcript sends on it: it should have kept the connection open (RFC 9112 §9.3).
 */
export function describeEarlyClose(result: Replayed, transcript: Transcript): string | undefined {
  // A reset while we still send the next request ends the connection as surely as a FIN: the
  // server closed it, and its kernel answered our late bytes with RST (RFC 9112 §9.6). Which of
  // the two a client sees depends on timing, so both get the same reason.
  const reset = result.ending === 'error' && ['ECONNRESET', 'EPIPE'].includes(result.error?.code ?? '');
  if (result.ending !== 'end' && !reset) return undefined;
  const expected = countResponses(transcript.responseBytes);
  const answered = countResponses(result.bytes);
  if (expected < 2 || answered >= expected) return undefined;
  // RFC 9112 §9.3: persistence follows the version of the last request answered.
  const last = transcript.parts[Math.max(answered, 1) - 1] ?? transcript.parts[0]!;
  const rule =
    requestVersion(last.requestBytes) === 'HTTP/1.0'
      ? 'an HTTP/1.0 request keeps a connection open only when it says Connection: keep-alive, as this one does, and the server honours it (RFC 9112 §9.3)'
      : 'HTTP/1.1 keeps a connection open unless a side says Connection: close (RFC 9112 §9.3)';
  return `the server closed the connection after ${answered} of ${expected} responses, where it should have kept it open: ${rule}`;
}

/** The HTTP-version of a request's request line (`HTTP/1.0`), or undefined when it has none. */
function requestVersion(request: Buffer): string | undefined {
  return /^[^ \r\n]+ [^ \r\n]+ (HTTP\/\d\.\d)\r?\n/.exec(request.toString('latin1'))?.[1];
}

/** One line on how an exchange ended, when that is not the normal end of stream. */
export function describeEnding(result: Exchange & { connected?: boolean }, timeoutMs: number): string | undefined {
  if (result.ending === 'timeout' && result.connected === false) {
    return `no connection after ${timeoutMs} ms: the server's backlog is full (is it stuck on an earlier connection?)`;
  }
  if (result.ending === 'timeout' && result.bytes.length === 0) {
    return `no answer after ${timeoutMs} ms of silence: the server is waiting for more of the request, or is stuck`;
  }
  if (result.ending === 'timeout') {
    return `no end of stream after ${timeoutMs} ms of silence: the server kept the connection open where it should have closed it (the last response of the transcript says Connection: close, RFC 9112 §9.6)`;
  }
  if (result.ending === 'error') {
    return `the connection failed after ${result.bytes.length} bytes: ${result.error?.code ?? result.error?.message}`;
  }
  return undefined;
}

/** How the first line of every byte diff starts. */
const DIFF_START = 'first difference at byte ';

/**
 * Shows how `actual` differs from `expected`: the first differing byte's
 * offset, then a line diff with CR and LF visible (`-` expected, `+` actual).
 */
export function byteDiff(expected: Buffer, actual: Buffer, labels = { expected: 'expected', actual: 'actual' }): string[] {
  const at = firstDifference(expected, actual);
  if (at === -1) return [];
  const lines = [
    `${DIFF_START}${at} (${labels.expected} has ${expected.length} bytes, ${labels.actual} ${actual.length}); CR and LF shown as \\r \\n`,
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
    const result = await replayWatching(target, transcript, options.timeoutMs);
    refuseIfNothingListens(result, target);
    const expected = maskHeaders(transcript.responseBytes, options.mask);
    const actual = maskHeaders(result.bytes, options.mask);
    const notes = [describeEarlyAnswer(result, transcript.requestBytes), describeEarlyClose(result, transcript), describeEnding(result, options.timeoutMs)].filter(
      (note) => note !== undefined,
    );
    const diff = byteDiff(expected, actual, { expected: `golden ${transcript.response}`, actual: `${target.host}:${target.port}` });
    outcomes.push({ name: transcript.name, ok: diff.length === 0 && notes.length === 0, details: [...notes, ...diff] });
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
    const [left, right] = await Promise.all([replayWatching(a, transcript, options.timeoutMs), replayWatching(b, transcript, options.timeoutMs)]);
    refuseIfNothingListens(left, a);
    refuseIfNothingListens(right, b);
    const details: string[] = [];
    for (const [result, target] of [[left, a], [right, b]] as const) {
      for (const note of [describeEarlyAnswer(result, transcript.requestBytes), describeEarlyClose(result, transcript), describeEnding(result, options.timeoutMs)]) {
        if (note) details.push(`${target.host}:${target.port}: ${note}`);
      }
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
