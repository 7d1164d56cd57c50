/**
 * What a probe case expects, and the judgement of what came back: a
 * verdict (400, 501, a close, a 2xx), never exact bytes. Socket-free, so
 * the table test can hold every rule to a row.
 */
import type { SeenResponse } from './responses.ts';

/** What a server may answer to a case, to pass it. */
export type Expectation =
  /** A valid request: one complete 2xx response. */
  | { kind: 'answer' }
  /**
   * A refusal: the first response has one of `statuses`. `close`: the
   * connection must then close (framing the server could not trust, RFC 9112
   * §6.3). `silentClose`: closing with no response passes too.
   */
  | { kind: 'refuse'; statuses: readonly number[]; close?: boolean; silentClose?: boolean }
  /** Either a refusal with one of `statuses` or a 2xx: the rule allows both; a hang or a crash fails. */
  | { kind: 'refuse-or-answer'; statuses: readonly number[] }
  /**
   * Framing the server must not trust for what follows (RFC 9112 §6.1):
   * at most one response, then the connection closed. A second response
   * means a hidden request was served.
   */
  | { kind: 'one-then-close' }
  /** Two requests in one write: both answered in order, or the first answered and the connection closed. */
  | { kind: 'in-order' }
  /** A client too slow to wait for: the server answers 408 or closes before the probe gives up. */
  | { kind: 'dropped' };

/** How the exchange ended, as the probe saw it. */
export type Ending =
  /** The server closed the connection (FIN). */
  | 'closed'
  /** The server reset the connection. */
  | 'reset'
  /** The probe stopped waiting: the server had answered all it expected and was quiet. */
  | 'open'
  /** The case's deadline passed first. */
  | 'deadline';

/** What the probe saw of one exchange. */
export interface Seen {
  responses: SeenResponse[];
  ending: Ending;
  /** The case's deadline, in ms, for the words of a "no answer" verdict. */
  deadlineMs: number;
}

/** Says what `expect` asks for, in words for the scorecard. */
export function describeExpectation(expect: Expectation): string {
  switch (expect.kind) {
    case 'answer':
      return 'a 2xx response';
    case 'refuse': {
      const statuses = expect.statuses.join(' or ');
      const then = expect.close ? ', then the connection closed' : '';
      return `${statuses}${then}${expect.silentClose ? ' (or a close with no response)' : ''}`;
    }
    case 'refuse-or-answer':
      return `${expect.statuses.join(' or ')}, or a 2xx`;
    case 'one-then-close':
      return 'at most one response, then the connection closed';
    case 'in-order':
      return 'two 2xx responses in order, or one and then the connection closed';
    case 'dropped':
      return 'a 408 or a close before the probe stops trickling';
  }
}

/** Says what came back, in words: `400, then closed`; `200 and 200, left open`; `no response in 2000 ms`. */
export function describeSeen(seen: Seen): string {
  const statuses = seen.responses.map((response) => `${response.status}${response.complete ? '' : ' (incomplete)'}`);
  const ending = {
    closed: 'then closed',
    reset: 'then reset',
    open: 'left open',
    deadline: `still open after ${seen.deadlineMs} ms`,
  }[seen.ending];
  if (statuses.length === 0) {
    if (seen.ending === 'deadline' || seen.ending === 'open') return `no response in ${seen.deadlineMs} ms`;
    return seen.ending === 'closed' ? 'closed with no response' : 'reset with no response';
  }
  return `${statuses.join(' and ')}, ${ending}`;
}

/** True when `seen` is what `expect` asks for. */
export function passes(expect: Expectation, seen: Seen): boolean {
  const [first, second] = seen.responses;
  const ended = seen.ending === 'closed' || seen.ending === 'reset';
  const ok = (response: SeenResponse | undefined) =>
    response !== undefined && response.complete && response.status >= 200 && response.status < 300;
  switch (expect.kind) {
    case 'answer':
      return ok(first);
    case 'refuse':
      if (!first) return expect.silentClose === true && ended;
      return expect.statuses.includes(first.status) && (!expect.close || (ended && !second));
    case 'refuse-or-answer':
      return ok(first) || (first !== undefined && expect.statuses.includes(first.status));
    case 'one-then-close':
      return !second && ended;
    case 'in-order':
      return ok(first) && (ok(second) || (second === undefined && ended));
    case 'dropped':
      return first?.status === 408 || (!first && ended);
  }
}
