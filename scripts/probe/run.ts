/**
 * The engine of `npm run probe`: sends each case of the corpus to a server on
 * its own connection, one case at a time, and judges what came back. Every
 * case has a deadline: "no answer" is a result, never a hang.
 *
 * Used by scripts/probe.ts (the command) and by anything that checks many
 * servers (a teacher's check of a class): give it a host and a port, get one
 * result per case.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { NothingListening } from '../lib/compare.ts';
import type { Target } from '../lib/wire.ts';
import { CORPUS, type Level, type ProbeCase } from './corpus.ts';
import { readResponses, type SeenResponse } from './responses.ts';
import { describeExpectation, describeSeen, passes, type Ending, type Expectation } from './verdicts.ts';

/** How long the probe waits, in ms. */
export interface ProbeTimeouts {
  /** Longest a case may take once its last byte is sent, whatever the server does. Default 2000. */
  caseMs: number;
  /**
   * Once the responses a case can get have arrived, how long to wait for the
   * server to close or to send more before judging it. Default 300.
   */
  settleMs: number;
  /** How long a slow case trickles its request, a byte a second (a slowloris client); 0 skips those cases. Default 0. */
  slowMs: number;
}

export const DEFAULT_TIMEOUTS: ProbeTimeouts = { caseMs: 2000, settleMs: 300, slowMs: 0 };

/** What to probe, and how. */
export interface ProbeOptions {
  host: string;
  port: number;
  /** The path of a resource that answers 2xx to GET and POST. Default `/`. */
  path?: string;
  timeouts?: Partial<ProbeTimeouts>;
  /** The cases to send; default the whole corpus. */
  cases?: readonly ProbeCase[];
  /** Called after each case, in order: for a progress line. */
  onResult?: (result: CaseResult) => void;
}

/** The verdict on one case, and the evidence. */
export interface CaseResult {
  id: string;
  clause: string;
  level: Level;
  title: string;
  /** `skip`: a slow case when `slowMs` is 0. */
  verdict: 'pass' | 'fail' | 'skip';
  /** What the case accepts, in words: `400, then the connection closed`. */
  expected: string;
  /** What came back, in words: `200, then closed`; `no response in 2000 ms`. */
  observed: string;
  /** Every byte sent (a skipped case: the bytes it would have sent). */
  sent: Buffer;
  /** Every byte received. */
  received: Buffer;
  /** How long the case took, in ms. */
  ms: number;
}

/** The results of one run. */
export interface ProbeReport {
  target: Target;
  results: CaseResult[];
  /** True when no MUST case failed: the command's exit status 0. */
  mustPassed: boolean;
}

/**
 * Runs the corpus against `host:port`, one case at a time.
 * @throws NothingListening when the first connection is refused.
 */
export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const target = { host: options.host, port: options.port };
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const host = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  const context = { host, path: options.path ?? '/' };
  const results: CaseResult[] = [];
  for (const probeCase of options.cases ?? CORPUS) {
    const result = await runCase(target, probeCase, context, timeouts);
    if (results.length === 0 && result.observed === REFUSED) {
      throw new NothingListening(`Nothing is listening on ${host} (connection refused): start the server first, or check --target`);
    }
    results.push(result);
    options.onResult?.(result);
  }
  return { target, results, mustPassed: results.every((result) => result.level !== 'MUST' || result.verdict !== 'fail') };
}

const REFUSED = 'connection refused (is the server still running?)';

/** The pace of a slow case: one byte a second, the slowloris client of issue 22. */
const SLOW_BYTE_MS = 1000;

/** Sends one case on a connection of its own and judges the answer. */
export async function runCase(
  target: Target,
  probeCase: ProbeCase,
  context: { host: string; path: string },
  timeouts: ProbeTimeouts,
): Promise<CaseResult> {
  const pieces = probeCase.request(context);
  const sent = Buffer.from(pieces.join(''), 'latin1');
  const about = { id: probeCase.id, clause: probeCase.clause, level: probeCase.level, title: probeCase.title, expected: describeExpectation(probeCase.expect), sent };
  if (probeCase.slow && timeouts.slowMs <= 0) {
    return { ...about, verdict: 'skip', observed: 'not run: give --slow SECONDS to run it', received: Buffer.alloc(0), ms: 0 };
  }
  const all = splitWrites(probeCase, pieces, sent);
  // A slow case sends a byte a second for slowMs and never finishes: a server must end it itself.
  const writes = probeCase.slow ? all.slice(0, Math.max(1, Math.floor(timeouts.slowMs / SLOW_BYTE_MS))) : all;
  if (probeCase.slow) about.sent = Buffer.concat(writes);
  const pauseMs = probeCase.slow ? SLOW_BYTE_MS : (probeCase.pauseMs ?? (probeCase.send === 'bytes' ? 2 : 0));
  const started = performance.now();
  const exchanged = await exchangeCase(target, writes, pauseMs, (responses) => decided(probeCase, responses), timeouts);
  const ms = Math.round(performance.now() - started);
  if (exchanged.ending === 'refused') return { ...about, verdict: 'fail', observed: REFUSED, received: exchanged.received, ms };
  const closed = exchanged.ending === 'closed' || exchanged.ending === 'reset';
  const seen = { responses: readResponses(exchanged.received, closed), ending: exchanged.ending, deadlineMs: timeouts.caseMs };
  return { ...about, verdict: passes(probeCase.expect, seen) ? 'pass' : 'fail', observed: describeSeen(seen), received: exchanged.received, ms };
}

/** The writes of a case: one, one per piece, or one per byte. */
function splitWrites(probeCase: ProbeCase, pieces: string[], whole: Buffer): Buffer[] {
  if (probeCase.send === 'pieces') return pieces.map((piece) => Buffer.from(piece, 'latin1'));
  if (probeCase.send === 'bytes') return [...whole].map((byte) => Buffer.of(byte));
  return [whole];
}

/**
 * True when the complete responses seen so far settle the verdict, so that
 * the probe need only wait `settleMs` for more: all the responses the case
 * can get, unless its verdict needs the close; a second response where a
 * request was hidden; a first response with a status the case does not accept.
 */
function decided(probeCase: ProbeCase, responses: SeenResponse[]): boolean {
  const { expect } = probeCase;
  const complete = responses.filter((response) => response.complete);
  if (expect.kind === 'refuse' && complete[0] && !expect.statuses.includes(complete[0].status)) return true;
  if (complete.length < (probeCase.responses ?? 1)) return false;
  return expect.kind === 'one-then-close' || !waitsForClose(expect);
}

/** True when the verdict depends on the server closing: then the probe waits for the close, to the deadline. */
function waitsForClose(expect: Expectation): boolean {
  return expect.kind === 'one-then-close' || expect.kind === 'dropped' || (expect.kind === 'refuse' && expect.close === true);
}

/**
 * Connects, writes `writes` with `pauseMs` between them, and collects the
 * answer until the server closes or resets, or the responses so far are
 * `decided` and `settleMs` has passed, or the deadline passes: `caseMs`
 * after the last write.
 */
function exchangeCase(
  target: Target,
  writes: Buffer[],
  pauseMs: number,
  decided: (responses: SeenResponse[]) => boolean,
  timeouts: ProbeTimeouts,
): Promise<{ received: Buffer; ending: Ending | 'refused' }> {
  const socket = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let settle: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let connected = false;
  let done = false;
  return new Promise((resolve) => {
    const finish = (ending: Ending | 'refused') => {
      if (done) return;
      done = true;
      clearTimeout(settle);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), ending });
    };
    const armDeadline = () => (deadline = setTimeout(() => finish('deadline'), timeouts.caseMs));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (settle === undefined && decided(readResponses(Buffer.concat(chunks), false))) {
        settle = setTimeout(() => finish('open'), timeouts.settleMs);
      }
    });
    socket.on('end', () => finish('closed'));
    // A reset is an answer too (a server may reset a connection it refuses); refused means nothing listens.
    socket.on('error', (error: NodeJS.ErrnoException) => finish(!connected && error.code === 'ECONNREFUSED' ? 'refused' : 'reset'));
    socket.on('close', () => finish('closed'));
    socket.once('connect', () => {
      connected = true;
      clearTimeout(deadline); // the writes take writes.length * pauseMs at most; the deadline counts from the last
      void writeAll(socket, writes, pauseMs).then(() => !done && armDeadline());
    });
    // A handshake that never completes (a full backlog) must not wait for ever either.
    armDeadline();
  });
}

/** Writes each buffer in turn, `pauseMs` apart, until done or the socket is gone. */
async function writeAll(socket: Socket, writes: Buffer[], pauseMs: number): Promise<void> {
  for (const [i, bytes] of writes.entries()) {
    if (i > 0 && pauseMs > 0) await sleep(pauseMs);
    if (socket.destroyed) return;
    socket.write(bytes);
  }
}
