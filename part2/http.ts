/**
 * The HTTP/1.1 wire format (RFC 9112) apart from any socket, as Deno std's `_io.ts` and gunicorn's
 * `http/message.py` are: what a request's bytes mean and what a response's head looks like. Every
 * rule is tested with plain bytes (http.test.ts). decoder.ts frames requests in a stream with it.
 */
import type { Headers } from './gateway.ts';

/** A request we refuse: the status code and a one-line reason, for a 4xx (or 5xx) answer. */
export class HttpError extends Error {
  readonly code: number;
  /**
   * Body bytes the client announced and will still send after this refusal (a 413 for its
   * Content-Length): the lingering close reads and drops them, so that the client, which may
   * write its whole body before it reads, still reads the answer (handler.ts). 0: none known.
   */
  readonly unreadBytes: number;
  constructor(code: number, reason: string, unreadBytes = 0) {
    super(reason);
    this.code = code;
    this.unreadBytes = unreadBytes;
  }
}

/** RFC 9110 §5.6.2: a token, the grammar of header field names and methods. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A parsed request head, before it becomes environ. */
export interface RequestHead {
  method: string; //          'GET'
  target: string; //          '/hello?name=x'
  version: string; //         'HTTP/1.1'
  headers: Headers; //        [['Host', 'localhost:8888'], ...] as sent, case kept
  head: string; //            the head as received, for the log
  bareLf?: boolean; //        a line ended by LF without CR (RFC 9112 §2.2), as nc sends
}

/** A whole request: its head and its body (Content-Length bytes, or the decoded chunks). */
export type Request = RequestHead & { body: Buffer };

/** How much a request may hold, in bytes: a larger head gets 431, a larger body 413. */
export type Limits = { maxHeadBytes: number; maxBodyBytes: number };

/** RFC 9110 §15.2.1: the interim response a client that sent `Expect: 100-continue` waits for. */
export const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

// #region parse-request
/**
 * Parses a complete request head (RFC 9112 §2-§5) into method, target, version and header fields.
 * @throws HttpError 400 for a malformed request line, header field or Host; 501 for `OPTIONS *`;
 *   505 for an HTTP version other than 1.x.
 */
export function parseRequest(head: Buffer): RequestHead {
  const text = head.toString('latin1'); // RFC 9112 §2.2: parse the head as octets, not as UTF-8
  let bareLf = false;
  const lines = text.split('\n').map((line, i, all) => {
    if (line.endsWith('\r')) return line.slice(0, -1);
    if (i < all.length - 1) bareLf = true; // ended by LF alone; the last part follows the last LF
    return line;
  });
  while (lines[0] === '') lines.shift(); // §2.2: empty lines before the request line
  while (lines.at(-1) === '') lines.pop(); // the blank line that ends the head
  if (lines.some((line) => line.includes('\r'))) {
    throw new HttpError(400, 'a bare CR in the request head (RFC 9112 §2.2)');
  }
  const { method, target, version } = parseRequestLine(lines.shift() ?? '');
  const headers = lines.map(parseField);
  checkHost(version, headers);
  if (bareLf) checkBareLf(headers);
  return { method, target, version, headers, head: text, ...(bareLf ? { bareLf } : {}) };
}
// #endregion

/**
 * RFC 9112 §2.2: a recipient MAY take a bare LF for a line's end (nc and telnet users send them);
 * we do only where no framing depends on it. A front proxy that does not (it replaces the LF by
 * SP, or takes the line on) reads `X: y\nTransfer-Encoding: chunked` as one field, and frames the
 * body otherwise than we would: the "funky chunks" research (2025) desynchronised real pairs so;
 * llhttp answers 400 (Node's test-http-missing-header-separator-cr.js). So a head with a bare LF
 * may not frame a body, and webserver2b.ts closes after answering it, never reading what follows.
 * @throws HttpError 400
 */
export function checkBareLf(headers: Headers): void {
  const framing = headers.find(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  if (framing) {
    const reason = `a line of a head with ${framing[0]} ends in LF without CR`;
    throw new HttpError(400, `${reason} (RFC 9112 §2.2)`);
  }
}

/** RFC 9112 §3: method SP request-target SP HTTP-version. @throws HttpError 400, 501, 505 */
export function parseRequestLine(line: string): Omit<RequestHead, 'headers' | 'head'> {
  const parts = /^([^ ]+) ([^ ]+) (HTTP\/\d\.\d)$/.exec(line);
  if (!parts) {
    const expected = 'expected METHOD SP TARGET SP HTTP/1.1 (RFC 9112 §3)';
    throw new HttpError(400, `malformed request line ${JSON.stringify(line)}: ${expected}`);
  }
  const [, method, target, version] = parts as unknown as [string, string, string, string];
  if (!TOKEN.test(method)) {
    throw new HttpError(400, `the method ${JSON.stringify(method)} is not a token (RFC 9110 §9.1)`);
  }
  if (!version.startsWith('HTTP/1.')) {
    throw new HttpError(505, `this server speaks HTTP/1.0 and HTTP/1.1, not ${version}`);
  }
  if (target === '*' && method === 'OPTIONS') {
    // §3.2.4: asterisk-form asks about the server as a whole, not a resource an application has.
    const reason = 'OPTIONS * (asterisk-form, RFC 9112 §3.2.4) is not answered by this server';
    throw new HttpError(501, reason);
  }
  // §3.2: origin-form (/path?query) or absolute-form (http://host/path).
  if (!(target.startsWith('/') || /^https?:\/\//i.test(target))) {
    const reason = `the request target ${JSON.stringify(target)} is not a path like /hello`;
    throw new HttpError(400, `${reason} (RFC 9112 §3.2)`);
  }
  if (/[^\x21-\x7e]/.test(target)) {
    const reason = 'the request target has a character that must be percent-encoded';
    throw new HttpError(400, `${reason} (RFC 3986 §2)`);
  }
  return { method, target, version };
}

/** RFC 9112 §5: one header field line, `Name: value`. @throws HttpError 400 */
export function parseField(line: string): [name: string, value: string] {
  if (line.startsWith(' ') || line.startsWith('\t')) {
    throw new HttpError(400, 'a header field folded onto a second line (obs-fold, RFC 9112 §5.2)');
  }
  const colon = line.indexOf(':');
  const name = line.slice(0, colon);
  if (colon === -1 || !TOKEN.test(name)) {
    // §5.1: no whitespace is allowed between the field name and the colon.
    const expected = 'expected Name: value (RFC 9112 §5.1)';
    throw new HttpError(400, `malformed header field ${JSON.stringify(line)}: ${expected}`);
  }
  const value = stripOws(line.slice(colon + 1)); // §5.1: optional whitespace around the value
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
    throw new HttpError(400, `header field ${name} has a control character (RFC 9110 §5.5)`);
  }
  return [name, value];
}

/**
 * `value` without the optional whitespace around it: SP and HTAB only (RFC 9110 §5.6.3, OWS).
 * Never String.prototype.trim(), which also strips U+00A0, U+FEFF and more: a front proxy that
 * does not strip them reads `Transfer-Encoding: \xa0chunked` otherwise than we would.
 * Two loops rather than a regular expression: every field value of every request comes through
 * here, and the replace costs two to three times as much (100 ns a call against 30-40).
 */
export function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value[start]!)) start++;
  while (end > start && isOws(value[end - 1]!)) end--;
  return value.slice(start, end);
}

/** RFC 9110 §5.6.3: `OWS = *( SP / HTAB )`. */
function isOws(character: string): boolean {
  return character === ' ' || character === '\t';
}

/**
 * Whether a field is named `lower` (written in lower case): field names are case-insensitive
 * (RFC 9110 §5.1). Lengths first: most names differ in length, and then no lower-case copy is
 * made; every request's fields are looked through several times (Host, Content-Length, ...).
 */
export function isField(name: string, lower: string): boolean {
  return name.length === lower.length && name.toLowerCase() === lower;
}

/** Whether two field names are the same name, in any case (RFC 9110 §5.1); lengths first. */
function isSameField(name: string, other: string): boolean {
  return name.length === other.length && name.toLowerCase() === other.toLowerCase();
}

/**
 * RFC 9112 §3.2, host[:port] (RFC 3986 §3.2.2): a server answers 400 to any other Host, because an
 * application that rebuilds its URL from it could be misled.
 */
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(:\d*)?$/;

/** RFC 9112 §3.2: the Host rules. @throws HttpError 400 */
export function checkHost(version: string, headers: Headers): void {
  const hosts = headers.filter(([name]) => isField(name, 'host'));
  if (hosts.length > 1 || (version === 'HTTP/1.1' && hosts.length === 0)) {
    // §3.2: a server MUST answer 400 to more than one Host, and to HTTP/1.1 without one.
    const count = hosts.length;
    const reason = `an HTTP/1.1 request needs exactly one Host header field, this one has ${count}`;
    const one = `an HTTP/1.0 request may have one Host header field, this one has ${count}`;
    throw new HttpError(400, `${version === 'HTTP/1.1' ? reason : one} (RFC 9112 §3.2)`);
  }
  const host = hosts[0]?.[1];
  if (host !== undefined && !HOST.test(host)) {
    const reason = `the Host header field ${JSON.stringify(host)} is not a host[:port]`;
    throw new HttpError(400, `${reason} (RFC 9112 §3.2)`);
  }
}

// #region body-length
/**
 * The body's length in bytes from Content-Length (RFC 9112 §6.3); 0 without one. A chunked body
 * (chunked.ts) is framed by its chunks instead.
 * @throws HttpError 400 for an invalid or conflicting Content-Length or one sent
 *   together with Transfer-Encoding.
 */
export function bodyLength(headers: Headers): number {
  const values = headers
    .filter(([name]) => isField(name, 'content-length'))
    .flatMap(([, value]) => value.split(','));
  if (values.length === 0) return 0; // most requests: no Content-Length, nothing to check
  const encoding = headers.find(([name]) => isField(name, 'transfer-encoding'));
  if (encoding && values.length > 0) {
    // §6.3 item 3: both at once is how request smuggling starts; refuse it.
    const reason = 'a request must not have both Transfer-Encoding and Content-Length';
    throw new HttpError(400, `${reason} (RFC 9112 §6.3)`);
  }
  const lengths = new Set(values.map(stripOws));
  const [length] = lengths;
  if (lengths.size > 1 || !/^\d{1,15}$/.test(length!)) {
    const shown = JSON.stringify(values.join(','));
    throw new HttpError(400, `invalid Content-Length ${shown} (RFC 9112 §6.3)`);
  }
  return Number(length);
}
// #endregion

/** RFC 9110 §10.1.1: an HTTP/1.1 client with `Expect: 100-continue` waits to send its body. */
export function expectsContinue(head: RequestHead): boolean {
  if (head.version !== 'HTTP/1.1') return false;
  return head.headers.some(
    ([name, value]) => isField(name, 'expect') && value.toLowerCase() === '100-continue',
  );
}

// #region response-head
/**
 * The status line and header fields as they go on the wire (RFC 9112 §4, §5): the application's
 * fields in its order; each of `defaults` (Date, Server) whose name it did not send; then
 * `Connection: <connection>` when given. A server that closes after every response says `close`
 * (§9.6); without a Content-Length, the close is what ends the body (§6.3 item 8).
 */
export function responseHead(
  status: string,
  headers: Headers,
  defaults: Headers,
  connection?: string,
): string {
  let lines = '';
  for (const [name, value] of headers) lines += `${name}: ${value}\r\n`;
  for (const [name, value] of defaults) {
    if (!headers.some(([key]) => isSameField(key, name))) lines += `${name}: ${value}\r\n`;
  }
  if (connection !== undefined) lines += `Connection: ${connection}\r\n`;
  return `HTTP/1.1 ${status}\r\n${lines}\r\n`;
}
// #endregion

/** IMF-fixdate (RFC 9110 §5.6.7), the Date field's format: 'Mon, 15 Jul 2019 05:54:48 GMT'. */
export function httpDate(now: Date): string {
  return now.toUTCString(); // ECMA-262 defines toUTCString as exactly this format
}

/** Reason phrases of the status codes this course uses (RFC 9110 §15). */
// A reference table, read across as RFC 9110 §15 lists the codes: the formatter leaves it alone.
// prettier-ignore
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone',
  411: 'Length Required', 413: 'Content Too Large', 414: 'URI Too Long',
  415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** '404 Not Found' for 404; an unknown code gets an empty reason phrase (RFC 9112 §4 allows it). */
export function statusLine(code: number): string {
  return `${code} ${REASON_PHRASES[code] ?? ''}`;
}
