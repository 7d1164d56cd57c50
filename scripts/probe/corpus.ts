/**
 * The probe's corpus: the course's own requests, each testing one rule of
 * RFC 9112 (HTTP/1.1's message syntax) or RFC 9110 (HTTP's semantics), tagged
 * with the RFC's own keyword for it. MUST: the RFC requires it, and a server
 * that fails it is wrong. SHOULD: the RFC recommends it (a grammar violation
 * "SHOULD" get a 400, RFC 9112 §2.2). MAY: allowed either way; the case shows
 * the server's choice, or a bound that no rule sets.
 *
 * Written for this course, with ideas from public conformance material:
 * nodejs/llhttp's tests, uNetworking/h1spec, narfindustries/http-garden,
 * defparam/smuggler, and the "funky chunks" research (2025) on chunked framing.
 */
import type { Expectation } from './verdicts.ts';

/** How strongly the RFC asks for the behaviour a case tests. */
export type Level = 'MUST' | 'SHOULD' | 'MAY';

/** Where a case's request comes from: the Host value to use (`127.0.0.1:8888`) and the path. */
export interface RequestContext {
  host: string;
  path: string;
}

/** One request the probe sends, and the verdict it expects. */
export interface ProbeCase {
  /** Short, stable id, e.g. `cl-te-both`: the scorecard prints it, tests name it. */
  id: string;
  /** The rule, e.g. `RFC 9112 §6.1`: the scorecard groups by it. */
  clause: string;
  level: Level;
  /** What the request is, in a few words. */
  title: string;
  /** The request, one HTTP line per string, each with its own line ending. */
  request(context: RequestContext): string[];
  /** `whole` (default): one write. `pieces`: one write per string of `request`. `bytes`: one per byte. */
  send?: 'whole' | 'pieces' | 'bytes';
  /** Pause between writes, in ms. Default 0 (pieces) or 2 (bytes). */
  pauseMs?: number;
  /** How many responses could come back at most: 2 for a hidden second request. Default 1. */
  responses?: number;
  /** A slow client: the request trickles a byte a second for the probe's `slowMs`, never finished; skipped when 0. */
  slow?: boolean;
  expect: Expectation;
}

// The expectations the corpus uses most, by name.
const answer: Expectation = { kind: 'answer' };
/** RFC 9112 §6.3: invalid framing, "MUST respond with a 400 ... and then close the connection". */
const badFraming: Expectation = { kind: 'refuse', statuses: [400], close: true };
/** RFC 9112 §6.3 and §6.1: chunked not final is a 400; a coding it does not know, 501 (§6.1 SHOULD). */
const notChunked: Expectation = { kind: 'refuse', statuses: [400, 501], close: true };
/** RFC 9112 §2.2: a message that does not match the grammar SHOULD get a 400, and the connection closed. */
const badSyntax: Expectation = { kind: 'refuse', statuses: [400], silentClose: true };
const mustBe400: Expectation = { kind: 'refuse', statuses: [400] };
const hiddenRequest: Pick<ProbeCase, 'responses' | 'expect'> = { responses: 2, expect: { kind: 'one-then-close' } };

/** A head of `GET path`, with Host and `Connection: close`, then `lines`, then the blank line. */
function get({ host, path }: RequestContext, ...lines: string[]): string[] {
  return [`GET ${path} HTTP/1.1\r\n`, `Host: ${host}\r\n`, ...lines, 'Connection: close\r\n', '\r\n'];
}

/** A `POST path` with Host, `Connection: close` and `lines` (the framing fields), then `body`. */
function post({ host, path }: RequestContext, lines: string[], ...body: string[]): string[] {
  return [`POST ${path} HTTP/1.1\r\n`, `Host: ${host}\r\n`, ...lines, 'Connection: close\r\n', '\r\n', ...body];
}

/** A chunked POST whose body is `body`, written as it is (CRLF and all). */
function chunked(context: RequestContext, ...body: string[]): string[] {
  return post(context, ['Transfer-Encoding: chunked\r\n'], ...body);
}

/** The request a smuggler hides: on its own it is valid, and it must never be answered. */
function hidden({ host }: RequestContext): string {
  return `GET /hidden HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
}

/** A POST with no `Connection: close`, so a second request could follow on the connection. */
function smuggle({ host, path }: RequestContext, lines: string[], body: string): string[] {
  return [`POST ${path} HTTP/1.1\r\n`, `Host: ${host}\r\n`, ...lines, '\r\n', body];
}

/** Content-Length: N for `body`, in latin1 bytes. */
function lengthOf(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`;
}

const MESSAGE = 'RFC 9112 §2.2';
const REQUEST_LINE = 'RFC 9112 §3';
const HOST = 'RFC 9112 §3.2';
const LENGTH = 'RFC 9112 §6.3';
const CODINGS = 'RFC 9112 §6.1';
const CHUNKED = 'RFC 9112 §7.1';
const PERSISTENCE = 'RFC 9112 §9.3';

/** Framing by Content-Length: RFC 9112 §6.3 and RFC 9110 §8.6. */
const contentLength: ProbeCase[] = [
  { id: 'cl-body', clause: LENGTH, level: 'MUST', title: 'a POST with a Content-Length body', request: (c) => post(c, ['Content-Length: 5\r\n'], 'hello'), expect: answer },
  { id: 'cl-zero', clause: LENGTH, level: 'MUST', title: 'a GET with Content-Length: 0', request: (c) => get(c, 'Content-Length: 0\r\n'), expect: answer },
  { id: 'cl-letters', clause: LENGTH, level: 'MUST', title: 'Content-Length: abc', request: (c) => post(c, ['Content-Length: abc\r\n'], 'hello'), expect: badFraming },
  { id: 'cl-plus', clause: LENGTH, level: 'MUST', title: 'Content-Length: +5 (a sign is not a digit)', request: (c) => post(c, ['Content-Length: +5\r\n'], 'hello'), expect: badFraming },
  { id: 'cl-negative', clause: LENGTH, level: 'MUST', title: 'Content-Length: -1', request: (c) => post(c, ['Content-Length: -1\r\n'], 'hello'), expect: badFraming },
  { id: 'cl-hex', clause: LENGTH, level: 'MUST', title: 'Content-Length: 0x5', request: (c) => post(c, ['Content-Length: 0x5\r\n'], 'hello'), expect: badFraming },
  { id: 'cl-two-numbers', clause: LENGTH, level: 'MUST', title: 'Content-Length: 5 5 (two numbers, one space)', request: (c) => post(c, ['Content-Length: 5 5\r\n'], 'hello'), expect: badFraming },
  { id: 'cl-list-differs', clause: LENGTH, level: 'MUST', title: 'Content-Length: 5, 6 (a list that disagrees)', request: (c) => post(c, ['Content-Length: 5, 6\r\n'], 'hello!'), expect: badFraming },
  { id: 'cl-twice-differs', clause: LENGTH, level: 'MUST', title: 'two Content-Length lines, 5 and 6', request: (c) => post(c, ['Content-Length: 5\r\n', 'Content-Length: 6\r\n'], 'hello!'), expect: badFraming },
  { id: 'cl-nbsp', clause: LENGTH, level: 'MUST', title: 'Content-Length: \\xa05 (U+00A0 is not whitespace in HTTP, RFC 9110 §5.6.3)', request: (c) => post(c, ['Content-Length: \xa05\r\n'], 'hello'), expect: badFraming },
  { id: 'cl-twice-same', clause: 'RFC 9110 §8.6', level: 'MAY', title: 'two Content-Length lines, both 5: one value or a 400', request: (c) => post(c, ['Content-Length: 5\r\n', 'Content-Length: 5\r\n'], 'hello'), expect: { kind: 'refuse-or-answer', statuses: [400] } },
  { id: 'cl-huge', clause: 'RFC 9110 §15.5.14', level: 'MAY', title: 'Content-Length: 99999999999 and no body: a 413 at once', request: (c) => post(c, ['Content-Length: 99999999999\r\n']), expect: { kind: 'refuse', statuses: [413, 400], silentClose: true } },
];

/** Transfer codings: RFC 9112 §6.1 and §6.3. */
const transferEncoding: ProbeCase[] = [
  { id: 'te-chunked', clause: CHUNKED, level: 'MUST', title: 'a chunked POST', request: (c) => chunked(c, '5\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: answer },
  { id: 'te-case', clause: 'RFC 9112 §7', level: 'MUST', title: 'Transfer-Encoding: Chunked (coding names are case-insensitive)', request: (c) => post(c, ['Transfer-Encoding: Chunked\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: answer },
  { id: 'te-ows', clause: 'RFC 9110 §5.6.3', level: 'MUST', title: 'Transfer-Encoding:\\tchunked \\t (OWS is SP and HTAB)', request: (c) => post(c, ['Transfer-Encoding:\tchunked \t\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: answer },
  { id: 'te-gzip', clause: LENGTH, level: 'MUST', title: 'Transfer-Encoding: gzip (chunked is not the final coding)', request: (c) => post(c, ['Transfer-Encoding: gzip\r\n'], 'hello'), expect: notChunked },
  { id: 'te-chunked-gzip', clause: LENGTH, level: 'MUST', title: 'Transfer-Encoding: chunked, gzip', request: (c) => post(c, ['Transfer-Encoding: chunked, gzip\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: notChunked },
  { id: 'te-nbsp', clause: LENGTH, level: 'MUST', title: 'Transfer-Encoding: \\xa0chunked\\xa0 (not the coding chunked)', request: (c) => post(c, ['Transfer-Encoding: \xa0chunked\xa0\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: notChunked },
  { id: 'te-vtab', clause: LENGTH, level: 'MUST', title: 'Transfer-Encoding: \\x0bchunked (a vertical tab is not OWS)', request: (c) => post(c, ['Transfer-Encoding: \x0bchunked\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: notChunked },
  { id: 'te-xchunked', clause: LENGTH, level: 'MUST', title: 'Transfer-Encoding: xchunked', request: (c) => post(c, ['Transfer-Encoding: xchunked\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: notChunked },
  { id: 'te-twice-last-not-chunked', clause: LENGTH, level: 'MUST', title: 'two Transfer-Encoding lines, chunked then identity', request: (c) => post(c, ['Transfer-Encoding: chunked\r\n', 'Transfer-Encoding: identity\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: notChunked },
  { id: 'te-chunked-twice', clause: CODINGS, level: 'SHOULD', title: 'Transfer-Encoding: chunked, chunked', request: (c) => post(c, ['Transfer-Encoding: chunked, chunked\r\n'], '5\r\nhello\r\n0\r\n\r\n'), expect: badSyntax },
  { id: 'te-http10', clause: CODINGS, level: 'MUST', title: 'Transfer-Encoding in an HTTP/1.0 request: faulty framing, close after', request: ({ host, path }) => [`POST ${path} HTTP/1.0\r\n`, `Host: ${host}\r\n`, 'Transfer-Encoding: chunked\r\n', '\r\n', '5\r\nhello\r\n0\r\n\r\n'], expect: { kind: 'one-then-close' } },
];

/** The chunk-size line, chunk data and trailers: RFC 9112 §7.1 and its grammar. */
const chunkGrammar: ProbeCase[] = [
  { id: 'chunk-upper-hex', clause: CHUNKED, level: 'MUST', title: 'chunk size A (hex digits in either case)', request: (c) => chunked(c, 'A\r\n', '0123456789\r\n', '0\r\n', '\r\n'), expect: answer },
  { id: 'chunk-leading-zeros', clause: CHUNKED, level: 'MUST', title: 'chunk size 0005 (1*HEXDIG)', request: (c) => chunked(c, '0005\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: answer },
  { id: 'chunk-extension', clause: 'RFC 9112 §7.1.1', level: 'MUST', title: 'a chunk extension 5;name=value (ignored)', request: (c) => chunked(c, '5;name=value\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: answer },
  { id: 'chunk-extension-quoted', clause: 'RFC 9112 §7.1.1', level: 'MUST', title: 'a chunk extension with a quoted value: 5;a="b; c"', request: (c) => chunked(c, '5;a="b; c"\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: answer },
  { id: 'chunk-trailer', clause: 'RFC 9112 §7.1.2', level: 'MUST', title: 'a trailer field after the last chunk', request: (c) => chunked(c, '5\r\n', 'hello\r\n', '0\r\n', 'X-Checked: yes\r\n', '\r\n'), expect: answer },
  { id: 'chunk-size-not-hex', clause: CHUNKED, level: 'SHOULD', title: 'chunk size g', request: (c) => chunked(c, 'g\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-size-0x', clause: CHUNKED, level: 'SHOULD', title: 'chunk size 0x5', request: (c) => chunked(c, '0x5\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-size-leading-space', clause: CHUNKED, level: 'SHOULD', title: 'chunk size " 5" (a space before the digits)', request: (c) => chunked(c, ' 5\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-size-overflow', clause: CHUNKED, level: 'SHOULD', title: 'chunk size of 20 hex digits (overflows 64 bits)', request: (c) => chunked(c, 'fffffffffffffffffff1\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: { kind: 'refuse', statuses: [400, 413], silentClose: true } },
  { id: 'chunk-data-too-long', clause: CHUNKED, level: 'SHOULD', title: 'a chunk longer than its size: 5 then hello!', request: (c) => chunked(c, '5\r\n', 'hello!\r\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-extension-nameless', clause: 'RFC 9112 §7.1.1', level: 'SHOULD', title: 'a chunk extension with no name: 2;', request: (c) => chunked(c, '2;\r\n', 'hi\r\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-extension-open-quote', clause: 'RFC 9112 §7.1.1', level: 'SHOULD', title: 'an unbalanced quote: 5;a="abc";b="def; ghi', request: (c) => chunked(c, '5;a="abc";b="def; ghi\r\n', 'hello\r\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-size-bare-lf', clause: CHUNKED, level: 'SHOULD', title: 'a chunk-size line ended by a bare LF', request: (c) => chunked(c, '5\n', 'hello\r\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-data-bare-lf', clause: CHUNKED, level: 'SHOULD', title: 'chunk data followed by a bare LF', request: (c) => chunked(c, '5\r\n', 'hello\n', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunk-data-no-crlf', clause: CHUNKED, level: 'SHOULD', title: 'chunk data followed by XX instead of CRLF', request: (c) => chunked(c, '5\r\n', 'helloXX', '0\r\n', '\r\n'), expect: badSyntax },
  { id: 'chunked-head-bare-lf', clause: MESSAGE, level: 'SHOULD', title: 'a header line ended by a bare LF in a chunked request (x:\\n)', request: ({ host, path }) => [`POST ${path} HTTP/1.1\r\n`, `Host: ${host}\r\n`, 'x:\n', 'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n', '\r\n', '5\r\nhello\r\n0\r\n\r\n'], expect: { kind: 'refuse-or-answer', statuses: [400] } },
];

/**
 * Smuggling pairs: framing two readers could disagree on, with a valid request
 * hidden where one of them would see a second request. RFC 9112 §6.1: a server
 * MAY refuse Content-Length with Transfer-Encoding, or frame by Transfer-Encoding
 * alone, and either way MUST close the connection after responding; §6.3 makes
 * the rest invalid framing. A second response means the hidden request was served.
 */
const smuggling: ProbeCase[] = [
  {
    id: 'smuggle-cl-te',
    clause: CODINGS,
    level: 'MUST',
    title: 'CL.TE: Content-Length covers a request hidden after the last chunk',
    request: (c) => smuggle(c, [lengthOf(`0\r\n\r\n${hidden(c)}`), 'Transfer-Encoding: chunked\r\n'], `0\r\n\r\n${hidden(c)}`),
    ...hiddenRequest,
  },
  {
    id: 'smuggle-te-cl',
    clause: CODINGS,
    level: 'MUST',
    title: 'TE.CL: a request hidden inside a chunk, past a short Content-Length',
    request: (c) => {
      const chunk = `x=${hidden(c)}`;
      return smuggle(c, ['Content-Length: 4\r\n', 'Transfer-Encoding: chunked\r\n'], `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
    },
    ...hiddenRequest,
  },
  {
    id: 'smuggle-te-nbsp',
    clause: CODINGS,
    level: 'MUST',
    title: 'TE.TE: Transfer-Encoding: \\xa0chunked with a Content-Length',
    request: (c) => smuggle(c, [lengthOf(`0\r\n\r\n${hidden(c)}`), 'Transfer-Encoding: \xa0chunked\r\n'], `0\r\n\r\n${hidden(c)}`),
    ...hiddenRequest,
  },
  {
    id: 'smuggle-te-space-colon',
    clause: 'RFC 9112 §5.1',
    level: 'MUST',
    title: 'Transfer-Encoding : chunked (space before the colon) with a Content-Length',
    request: (c) => smuggle(c, [lengthOf(`0\r\n\r\n${hidden(c)}`), 'Transfer-Encoding : chunked\r\n'], `0\r\n\r\n${hidden(c)}`),
    ...hiddenRequest,
  },
  {
    id: 'smuggle-cl-cl',
    clause: LENGTH,
    level: 'MUST',
    title: 'CL.CL: Content-Length 0 and then the length of a hidden request',
    request: (c) => smuggle(c, ['Content-Length: 0\r\n', lengthOf(hidden(c))], hidden(c)),
    ...hiddenRequest,
  },
  {
    id: 'smuggle-chunk-lf',
    clause: CHUNKED,
    level: 'SHOULD',
    title: 'a bare LF in a chunk-size line, where a CRLF reader sees other chunks',
    request: (c) => smuggle(c, ['Transfer-Encoding: chunked\r\n'], `2\nxx\r\n0\r\n\r\n${hidden(c)}`),
    ...hiddenRequest,
  },
];

/** The request line: RFC 9112 §3 (and §2.2 for what comes before it). */
const requestLine: ProbeCase[] = [
  { id: 'line-valid', clause: REQUEST_LINE, level: 'MUST', title: 'GET with Host and Connection: close', request: (c) => get(c), expect: answer },
  { id: 'line-absolute-form', clause: 'RFC 9112 §3.2.2', level: 'MUST', title: 'a target in absolute form, http://host/path', request: (c) => [`GET http://${c.host}${c.path} HTTP/1.1\r\n`, `Host: ${c.host}\r\n`, 'Connection: close\r\n', '\r\n'], expect: answer },
  { id: 'line-empty-line-first', clause: MESSAGE, level: 'SHOULD', title: 'an empty line before the request line (ignored)', request: (c) => ['\r\n', ...get(c)], expect: answer },
  { id: 'line-lowercase-version', clause: 'RFC 9112 §2.3', level: 'SHOULD', title: 'http/1.1 (the version is case-sensitive)', request: (c) => [`GET ${c.path} http/1.1\r\n`, ...get(c).slice(1)], expect: badSyntax },
  { id: 'line-http-9-9', clause: 'RFC 9110 §15.6.6', level: 'SHOULD', title: 'HTTP/9.9: a major version it does not speak', request: (c) => [`GET ${c.path} HTTP/9.9\r\n`, ...get(c).slice(1)], expect: { kind: 'refuse', statuses: [505, 400], silentClose: true } },
  { id: 'line-no-version', clause: REQUEST_LINE, level: 'SHOULD', title: 'a request line with no version (HTTP/0.9)', request: (c) => [`GET ${c.path}\r\n`, ...get(c).slice(1)], expect: badSyntax },
  { id: 'line-bad-method', clause: 'RFC 9110 §9.1', level: 'SHOULD', title: 'a method that is not a token: G(T', request: (c) => [`G(T ${c.path} HTTP/1.1\r\n`, ...get(c).slice(1)], expect: badSyntax },
  { id: 'line-space-in-target', clause: REQUEST_LINE, level: 'SHOULD', title: 'a space inside the target: /a b', request: (c) => ['GET /a b HTTP/1.1\r\n', ...get(c).slice(1)], expect: badSyntax },
  { id: 'line-nul-in-target', clause: REQUEST_LINE, level: 'SHOULD', title: 'a NUL inside the target', request: (c) => ['GET /a\x00b HTTP/1.1\r\n', ...get(c).slice(1)], expect: badSyntax },
  { id: 'line-two-spaces', clause: REQUEST_LINE, level: 'MAY', title: 'two spaces after the method: a 400, or parsed on whitespace', request: (c) => [`GET  ${c.path} HTTP/1.1\r\n`, ...get(c).slice(1)], expect: { kind: 'refuse-or-answer', statuses: [400] } },
];

/** Field lines: RFC 9112 §5 and RFC 9110 §5.5. */
const fieldSyntax: ProbeCase[] = [
  { id: 'field-space-before-colon', clause: 'RFC 9112 §5.1', level: 'MUST', title: 'whitespace between a field name and the colon', request: (c) => get(c, 'X-Test : value\r\n'), expect: mustBe400 },
  { id: 'field-obs-fold', clause: 'RFC 9112 §5.2', level: 'MUST', title: 'a folded field line (obs-fold): a 400, or the fold read as SP', request: (c) => get(c, 'X-Test: one\r\n', ' two\r\n'), expect: { kind: 'refuse-or-answer', statuses: [400] } },
  { id: 'field-bare-cr', clause: MESSAGE, level: 'MUST', title: 'a bare CR inside a field value: a 400, or the CR read as SP', request: (c) => get(c, 'X-Test: a\rb\r\n'), expect: { kind: 'refuse-or-answer', statuses: [400] } },
  { id: 'field-nul', clause: 'RFC 9110 §5.5', level: 'MUST', title: 'a NUL inside a field value: a 400, or the NUL read as SP', request: (c) => get(c, 'X-Test: a\x00b\r\n'), expect: { kind: 'refuse-or-answer', statuses: [400] } },
  { id: 'field-no-colon', clause: MESSAGE, level: 'SHOULD', title: 'a field line with no colon', request: (c) => get(c, 'X-Test value\r\n'), expect: badSyntax },
  { id: 'field-empty-name', clause: MESSAGE, level: 'SHOULD', title: 'a field line with an empty name: ": value"', request: (c) => get(c, ': value\r\n'), expect: badSyntax },
  { id: 'field-bad-name', clause: 'RFC 9110 §5.1', level: 'SHOULD', title: 'a field name that is not a token: X@Test', request: (c) => get(c, 'X@Test: value\r\n'), expect: badSyntax },
  { id: 'field-bare-lf', clause: MESSAGE, level: 'MAY', title: 'field lines ended by bare LF: a 400, or read as CRLF', request: ({ host, path }) => [`GET ${path} HTTP/1.1\n`, `Host: ${host}\n`, 'Connection: close\n', '\n'], expect: { kind: 'refuse-or-answer', statuses: [400] } },
];

/** Host: RFC 9112 §3.2, "MUST respond with a 400" to each of these. */
const host: ProbeCase[] = [
  { id: 'host-missing', clause: HOST, level: 'MUST', title: 'HTTP/1.1 with no Host', request: ({ path }) => [`GET ${path} HTTP/1.1\r\n`, 'Connection: close\r\n', '\r\n'], expect: mustBe400 },
  { id: 'host-twice', clause: HOST, level: 'MUST', title: 'two Host lines', request: (c) => get(c, `Host: ${c.host}\r\n`), expect: mustBe400 },
  { id: 'host-list', clause: HOST, level: 'MUST', title: 'Host: a, b (two values in one line)', request: ({ host, path }) => [`GET ${path} HTTP/1.1\r\n`, `Host: ${host}, other.example\r\n`, 'Connection: close\r\n', '\r\n'], expect: mustBe400 },
  { id: 'host-invalid', clause: HOST, level: 'MUST', title: 'Host: a b (not host[:port])', request: ({ path }) => [`GET ${path} HTTP/1.1\r\n`, 'Host: a b\r\n', 'Connection: close\r\n', '\r\n'], expect: mustBe400 },
  { id: 'host-http10-none', clause: HOST, level: 'SHOULD', title: 'HTTP/1.0 with no Host (valid: Host is HTTP/1.1\'s)', request: ({ path }) => [`GET ${path} HTTP/1.0\r\n`, '\r\n'], expect: answer },
];

/** How much a server accepts: RFC 9110 §5.4, "MUST respond with an appropriate 4xx". */
const limits: ProbeCase[] = [
  { id: 'limit-huge-field', clause: 'RFC 9110 §5.4', level: 'MUST', title: 'one 64 KiB field value', request: (c) => get(c, `X-Big: ${'a'.repeat(64 * 1024)}\r\n`), expect: { kind: 'refuse', statuses: [431, 400, 413] } },
  { id: 'limit-many-fields', clause: 'RFC 9110 §5.4', level: 'MUST', title: '4,000 short field lines (64 KiB)', request: (c) => get(c, ...Array.from({ length: 4000 }, (_, i) => `X-${i}: ${i}\r\n`.padEnd(16, 'a'))), expect: { kind: 'refuse', statuses: [431, 400, 413] } },
];

/**
 * Requests in pieces: TCP is a byte stream, and a request may arrive in any
 * number of reads (RFC 9293 §3.1 has no message boundaries; RFC 9112 §2.1
 * reads a message by its syntax). Each must be answered as if it came whole.
 */
const pieces: ProbeCase[] = [
  { id: 'split-bytes', clause: 'RFC 9112 §2.1', level: 'MUST', title: 'a GET sent one byte per write', request: (c) => get(c), send: 'bytes', expect: answer },
  { id: 'split-lines', clause: 'RFC 9112 §2.1', level: 'MUST', title: 'a GET sent one line per write, 50 ms apart', request: (c) => get(c), send: 'pieces', pauseMs: 50, expect: answer },
  { id: 'split-crlf', clause: 'RFC 9112 §2.1', level: 'MUST', title: 'a head split between the CR and the LF', request: ({ host, path }) => [`GET ${path} HTTP/1.1\r`, `\nHost: ${host}\r\nConnection: close\r\n\r`, '\n'], send: 'pieces', pauseMs: 20, expect: answer },
  { id: 'split-body', clause: LENGTH, level: 'MUST', title: 'a Content-Length body that arrives 200 ms after the head', request: (c) => post(c, ['Content-Length: 5\r\n']).concat('hel', 'lo'), send: 'pieces', pauseMs: 100, expect: answer },
  { id: 'split-chunks', clause: CHUNKED, level: 'MUST', title: 'a chunked body split inside its size lines and CRLFs', request: (c) => [chunked(c).join(''), '5', '\r', '\nhel', 'lo\r', '\n0\r\n', '\r', '\n'], send: 'pieces', pauseMs: 10, expect: answer },
  { id: 'pipelined', clause: PERSISTENCE, level: 'MUST', title: 'two GETs in one write: answered in order, or one and a close', request: ({ host, path }) => [`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`], responses: 2, expect: { kind: 'in-order' } },
  { id: 'slow-head', clause: 'RFC 9112 §9.5', level: 'MAY', title: 'a head trickled a byte a second for --slow seconds, never finished: dropped (408 or close)', request: (c) => get(c, ...Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: ${'a'.repeat(20)}\r\n`)), send: 'bytes', slow: true, expect: { kind: 'dropped' } },
];

/** The whole corpus, grouped as the scorecard prints it. */
export const CORPUS: readonly ProbeCase[] = [
  ...contentLength,
  ...transferEncoding,
  ...chunkGrammar,
  ...smuggling,
  ...requestLine,
  ...fieldSyntax,
  ...host,
  ...limits,
  ...pieces,
];
