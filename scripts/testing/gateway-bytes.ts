/**
 * The bytes the gateway tests send and expect, written one HTTP line per string (style.md: `\r\n`
 * visible), with the tests' fixed clock (LSBAWS_FIXED_DATE). Shared by Part 2's and Part 3's tests,
 * so that the answer of the hello app and the shape of a refusal are written down once.
 */

/** The tests' fixed Date (LSBAWS_FIXED_DATE=2019-07-15T05:54:48Z), as the Date header field says it. */
export const FIXED_DATE_FIELD = 'Date: Mon, 15 Jul 2019 05:54:48 GMT';

/**
 * Lines joined with CRLF, one byte per character (ISO-8859-1), as a request head travels: a
 * `\xe9` in a line is the single byte E9, never UTF-8's two.
 */
export function crlf(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** A GET of `path` on HTTP/1.1 with a Host field, head only. */
export function get(path: string, ...fields: string[]): Buffer {
  return crlf(`GET ${path} HTTP/1.1`, 'Host: localhost', ...fields, '', '');
}

/** What part2/apps/hello.ts answers through a connection-per-request gateway (webserver2, 3h). */
export const HELLO_ANSWER = crlf(
  'HTTP/1.1 200 OK',
  'Content-Type: text/plain',
  FIXED_DATE_FIELD,
  'Server: GatewayServer/0.2',
  'Connection: close',
  '',
  'Hello world from a simple gateway application!\n',
);

/**
 * The exact bytes of the gateway's plain-text refusal: `status` (`'400 Bad Request'`) and its
 * one-line `reason`. The head is ISO-8859-1; the body is UTF-8 (a reason may cite `RFC 9112 §3`).
 */
export function refusal(status: string, reason: string): Buffer {
  const body = Buffer.from(`${status}: ${reason}\n`, 'utf8');
  const head = crlf(
    `HTTP/1.1 ${status}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    FIXED_DATE_FIELD,
    'Server: GatewayServer/0.2',
    'Connection: close',
    '',
    '',
  );
  return Buffer.concat([head, body]);
}
