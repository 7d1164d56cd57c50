/**
 * The strict framing rules, without a socket: where a request's body begins and ends is where
 * request smuggling hides (two parsers that frame the same bytes differently), so each rule is
 * a row naming its RFC section and the public case that motivated it:
 * - llhttp: nodejs/llhttp's test/request/transfer-encoding.md and invalid.md (Node's parser);
 * - Node: nodejs/node's test/parallel/test-http-missing-header-separator-cr.js;
 * - funky chunks: "Funky chunks: abusing ambiguous chunk line terminators for request
 *   smuggling" (Jeppe Bonde Weikop, 2025), and the http-garden (narfindustries/http-garden).
 * Each refusal is refused while the bytes arrive (push throws), never by waiting for more.
 */
import { describe, expect, it as vitestIt } from 'vitest';
import { RequestDecoder } from './decoder.ts';
import { HttpError, stripOws, type Limits, type Request } from './http.ts';
import { wantsPersistent } from './webserver2b.ts';
import { crlf } from '../scripts/testing/gateway-bytes.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const LIMITS: Limits = { maxHeadBytes: 8 * 1024, maxBodyBytes: 1024 * 1024 };

/** Feeds `pieces` to a fresh decoder without ending the stream: the request, the refusal, or
 * 'waiting' when the decoder still waits for bytes (what a strict parser must not do here). */
function push(pieces: Buffer[]): Request | HttpError | 'waiting' {
  const decoder = new RequestDecoder(LIMITS);
  try {
    for (const piece of pieces) {
      const request = decoder.push(piece);
      if (request) return request;
    }
  } catch (error) {
    return error as HttpError;
  }
  return 'waiting';
}

/** A chunked POST's head, CRLF and all, then `body` as written. */
function chunked(body: string, ...fields: string[]): Buffer {
  const head = crlf('POST / HTTP/1.1', 'Host: x', ...fields, 'Transfer-Encoding: chunked', '', '');
  return Buffer.concat([head, Buffer.from(body, 'latin1')]);
}

// [request, rule, motivating case, bytes, status code, reason]
type Refusal = [string, string, string, Buffer, number, string];
const REFUSED: Refusal[] = [
  [
    'Transfer-Encoding: \\xa0chunked\\xa0',
    'RFC 9110 §5.6.3 (OWS is SP and HTAB), RFC 9112 §6.1',
    'issue 22 probe; the TE.TE disagreement of smuggling research',
    crlf('POST / HTTP/1.1', 'Host: x', 'Transfer-Encoding: \xa0chunked\xa0', '', '0', '', ''),
    400,
    'the transfer coding "\xa0chunked\xa0" is not a token (RFC 9112 §6.1, RFC 9110 §5.6.3)',
  ],
  [
    'Transfer-Encoding: \\ufeffchunked (latin1 bytes, not a token)',
    'RFC 9110 §5.6.3, RFC 9112 §6.1',
    'http-garden: whitespace a front strips and a back does not',
    crlf('POST / HTTP/1.1', 'Host: x', 'Transfer-Encoding: \xefchunked', '', '0', '', ''),
    400,
    'the transfer coding "\xefchunked" is not a token (RFC 9112 §6.1, RFC 9110 §5.6.3)',
  ],
  [
    'an empty Transfer-Encoding',
    'RFC 9112 §6.1 (Transfer-Encoding = #transfer-coding, one at least)',
    'llhttp transfer-encoding.md "Empty Transfer-Encoding with Content-Length"',
    crlf('POST / HTTP/1.1', 'Host: x', 'Transfer-Encoding: ', '', ''),
    400,
    'a Transfer-Encoding field that lists no coding (RFC 9112 §6.1)',
  ],
  [
    'Content-Length: \\xa05',
    'RFC 9110 §5.6.3, RFC 9112 §6.3',
    'issue 22 probe: trim() stripped U+00A0',
    crlf('POST / HTTP/1.1', 'Host: x', 'Content-Length: \xa05', '', 'hello'),
    400,
    'invalid Content-Length "\xa05" (RFC 9112 §6.3)',
  ],
  [
    'a chunk extension with no name: 2;',
    'RFC 9112 §7.1.1 (chunk-ext-name = token)',
    'llhttp transfer-encoding.md "No extension after semicolon"',
    chunked('2;\r\naa\r\n0\r\n\r\n'),
    400,
    'malformed chunk size line "2;": expected a size in hex, then CRLF (RFC 9112 §7.1)',
  ],
  [
    'an unbalanced quote in a chunk extension',
    'RFC 9112 §7.1.1, RFC 9110 §5.6.4 (quoted-string)',
    'llhttp transfer-encoding.md "Unbalanced chunk extensions quoting"',
    chunked('5;a="abc";b="def; ghi\r\nhello\r\n'),
    400,
    'malformed chunk size line "5;a=\\"abc\\";b=\\"def; ghi": expected a size in hex, then CRLF ' +
      '(RFC 9112 §7.1)',
  ],
  [
    'a size with no semicolon before its extension',
    'RFC 9112 §7.1',
    'llhttp transfer-encoding.md "No semicolon before chunk extensions"',
    chunked('2 erfrferferf\r\naa\r\n0\r\n\r\n'),
    400,
    'malformed chunk size line "2 erfrferferf": expected a size in hex, then CRLF (RFC 9112 §7.1)',
  ],
  [
    'a control character in a chunk extension',
    'RFC 9112 §7.1.1',
    'funky chunks: bytes a front skips in an extension',
    chunked('2;a=\x01\r\naa\r\n0\r\n\r\n'),
    400,
    'malformed chunk size line "2;a=\\u0001": expected a size in hex, then CRLF (RFC 9112 §7.1)',
  ],
  [
    'a bare LF inside a chunk extension',
    'RFC 9112 §7.1 (CRLF ends the chunk-size line)',
    'funky chunks: "2;\\n" read as a line end by one parser, as extension by another',
    chunked('2;a\nxx\r\naa\r\n0\r\n\r\n'),
    400,
    'a line of the chunked body ends in LF without CR (RFC 9112 §7.1)',
  ],
  [
    'chunk data followed by LF alone',
    'RFC 9112 §7.1 (chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF)',
    'funky chunks: a chunk terminator other than CRLF',
    chunked('2\r\naa\n0\r\n\r\n'),
    400,
    'a chunk is longer than its size line says, or lacks its CRLF (RFC 9112 §7.1)',
  ],
  [
    'chunk data followed by two bytes that are not CRLF',
    'RFC 9112 §7.1',
    'funky chunks: "2\\r\\naaXX" where a lenient parser skips two bytes',
    chunked('2\r\naaXX0\r\n\r\n'),
    400,
    'a chunk is longer than its size line says, or lacks its CRLF (RFC 9112 §7.1)',
  ],
  [
    'a trailer field with whitespace before its colon',
    'RFC 9112 §7.1.2, §5.1 (the field grammar)',
    'llhttp invalid.md: whitespace before the colon',
    chunked('0\r\nX-Trailer : y\r\n\r\n'),
    400,
    'malformed trailer field "X-Trailer : y" (RFC 9112 §7.1.2)',
  ],
  [
    'a folded trailer field',
    'RFC 9112 §7.1.2, §5.2 (obs-fold)',
    'llhttp transfer-encoding.md "Invalid OBS fold after chunked value"',
    chunked('0\r\nX-Trailer: y\r\n z\r\n\r\n'),
    400,
    'malformed trailer field " z" (RFC 9112 §7.1.2)',
  ],
  [
    'x:\\nTransfer-Encoding: chunked (a bare LF in a chunked head)',
    'RFC 9112 §2.2 (a bare LF only where no framing depends on it)',
    'Node test-http-missing-header-separator-cr.js; issue 22 probe (llhttp answers 400)',
    Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nx:\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    400,
    'a line of a head with Transfer-Encoding ends in LF without CR (RFC 9112 §2.2)',
  ],
  [
    'a bare LF in a head with Content-Length',
    'RFC 9112 §2.2',
    'funky chunks: bare LF near framing',
    Buffer.from('POST / HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello'),
    400,
    'a line of a head with Content-Length ends in LF without CR (RFC 9112 §2.2)',
  ],
];

describe('strict framing: each refusal at once, a 400 with its reason', () => {
  for (const [name, rule, motivation, bytes, code, reason] of REFUSED) {
    it(`${name}: ${rule}; from ${motivation}`, () => {
      const outcome = push([bytes]);
      expect(outcome, 'refused as the bytes arrive, not by waiting').toBeInstanceOf(HttpError);
      expect((outcome as HttpError).code).toBe(code);
      expect((outcome as HttpError).message).toBe(reason);
    });
    it(`${name}: refused the same, one byte at a time`, () => {
      const bytewise = [...bytes].map((byte) => Buffer.from([byte]));
      expect((push(bytewise) as HttpError).message).toBe(reason);
    });
  }
});

// [request, rule, bytes, the decoded body]
const ACCEPTED: Array<[string, string, Buffer, string]> = [
  [
    'extensions with BWS, a token and a quoted string with quoted pairs',
    'RFC 9112 §7.1.1 (llhttp "Chunk extensions quoting")',
    chunked('5 ; a = b ;c="I \\"love\\"; \\\\ext";d\r\nhello\r\n0\r\n\r\n'),
    'hello',
  ],
  [
    'Transfer-Encoding with SP and HTAB around chunked, and an empty list element',
    'RFC 9110 §5.6.1, §5.6.3',
    crlf('POST / HTTP/1.1', 'Host: x', 'Transfer-Encoding: , \tchunked\t ', '', '0', '', ''),
    '',
  ],
  [
    'a well-formed trailer field, dropped',
    'RFC 9112 §7.1.2',
    chunked('1\r\na\r\n0\r\nX-Trailer: \tok\t\r\n\r\n'),
    'a',
  ],
];

describe('strict framing: what the grammar allows still passes', () => {
  for (const [name, rule, bytes, body] of ACCEPTED) {
    it(`${name} (${rule})`, () => {
      const outcome = push([bytes]);
      expect(outcome).not.toBeInstanceOf(Error);
      expect((outcome as Request).body.toString('latin1')).toBe(body);
    });
  }

  it('a bodiless head with bare LFs (nc) is read, and does not persist (RFC 9112 §2.2)', () => {
    const outcome = push([Buffer.from('GET / HTTP/1.1\nHost: x\n\n')]) as Request;
    expect(outcome.bareLf).toBe(true);
    expect(wantsPersistent(outcome)).toBe(false);
    const crlfOnly = push([crlf('GET / HTTP/1.1', 'Host: x', '', '')]) as Request;
    expect(crlfOnly.bareLf).toBeUndefined();
    expect(wantsPersistent(crlfOnly)).toBe(true);
  });
});

describe('stripOws: SP and HTAB only (RFC 9110 §5.6.3), never String.prototype.trim()', () => {
  const cases: Array<[string, string]> = [
    [' \tchunked\t ', 'chunked'],
    ['\xa0chunked\xa0', '\xa0chunked\xa0'],
    ['\ufeffchunked', '\ufeffchunked'],
    ['\u2028close\r', '\u2028close\r'],
    ['', ''],
  ];
  for (const [value, stripped] of cases) {
    it(`${JSON.stringify(value)} -> ${JSON.stringify(stripped)}`, () => {
      expect(stripOws(value)).toBe(stripped);
    });
  }
});
