/**
 * The chunked transfer coding (RFC 9112 §7.1), apart from any socket: how a request body whose
 * length the client did not know in advance arrives, and how a response of unknown length goes
 * out on HTTP/1.1. Each chunk is its size in hex, CRLF, that many bytes, CRLF; a chunk of size 0
 * ends the body, followed by optional trailer fields and a blank line:
 *
 *     5\r\nhello\r\n6;note=ignored\r\n world\r\n0\r\nX-Trailer: dropped\r\n\r\n
 *
 * Tested with plain bytes in http.test.ts; decoder.ts's RequestDecoder feeds it.
 */
import type { Headers } from './gateway.ts';
import { HttpError, isField, parseField, stripOws, TOKEN } from './http.ts';

/**
 * The codings a request's Transfer-Encoding fields list, lower case, in order; empty list
 * elements are skipped (RFC 9110 §5.6.1). Only SP and HTAB are stripped around each (OWS).
 * @throws HttpError 400 for a field that lists no coding, or a coding that is not a token
 *   (RFC 9112 §6.1: `transfer-coding = token *( OWS ";" OWS transfer-parameter )`): `\xa0chunked`
 *   is no coding at all, so it is malformed (400), not a coding we do not implement (501).
 */
function codings(headers: Headers): string[] {
  const fields = headers.filter(([name]) => isField(name, 'transfer-encoding'));
  if (fields.length === 0) return []; // most requests: nothing to split, nothing to check
  const list = fields
    .flatMap(([, value]) => value.split(','))
    .map((coding) => stripOws(coding).toLowerCase())
    .filter((coding) => coding !== '');
  if (fields.length > 0 && list.length === 0) {
    // llhttp's test/request/transfer-encoding.md, "Empty Transfer-Encoding": a front may frame it.
    throw new HttpError(400, 'a Transfer-Encoding field that lists no coding (RFC 9112 §6.1)');
  }
  const malformed = list.find(
    (coding) => !TOKEN.test(coding.split(';')[0]!.replace(/[ \t]+$/, '')),
  );
  if (malformed !== undefined) {
    const reason = `the transfer coding ${JSON.stringify(malformed)} is not a token`;
    throw new HttpError(400, `${reason} (RFC 9112 §6.1, RFC 9110 §5.6.3)`);
  }
  return list;
}

// #region transfer-coding
/**
 * Whether a request's body is chunked (RFC 9112 §6.1, §6.3): false without Transfer-Encoding.
 * `chunked` matches in any case (§7: coding names are case-insensitive).
 * @throws HttpError 501 for a coding other than chunked (§6.1: one we do not understand); 400 for
 *   chunked twice, or Transfer-Encoding on HTTP/1.0 (§6.1: its framing is faulty).
 */
export function isChunked(version: string, headers: Headers): boolean {
  const list = codings(headers);
  if (list.length === 0) return false;
  const other = list.find((coding) => coding !== 'chunked');
  if (other !== undefined) {
    const reason = `the transfer coding ${JSON.stringify(other)} is not implemented here`;
    throw new HttpError(501, `${reason} (RFC 9112 §6.1)`);
  }
  if (list.length > 1) {
    throw new HttpError(400, 'chunked applied more than once (RFC 9112 §6.1)');
  }
  if (version === 'HTTP/1.0') {
    // §6.1: an HTTP/1.0 peer cannot have meant it; a proxy in between may have framed it otherwise.
    throw new HttpError(400, 'Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)');
  }
  return true;
}
// #endregion

// #region chunk-line
/** RFC 9110 §5.6.4: a quoted-string, each `\` quoting the next octet; DQUOTE to DQUOTE. */
const QUOTED_STRING = /"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"/;
/** RFC 9112 §7.1.1: `BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ]`; a name, always. */
const CHUNK_EXT = new RegExp(
  `[ \\t]*;[ \\t]*${TOKEN.source.slice(1, -1)}` +
    `(?:[ \\t]*=[ \\t]*(?:${TOKEN.source.slice(1, -1)}|${QUOTED_STRING.source}))?`,
);
/**
 * RFC 9112 §7.1: `chunk-size [ chunk-ext ] CRLF`, the size 1*HEXDIG (at most 15 digits: below
 * 2^53, so a Number holds it exactly). Nothing else: `2;` (no name, llhttp's "No extension after
 * semicolon") and an unbalanced quote (`5;a="abc";b="def; ghi`, llhttp's "Unbalanced chunk
 * extensions quoting") are what the "funky chunks" research used to make two parsers disagree.
 */
const CHUNK_LINE = new RegExp(`^([0-9A-Fa-f]{1,15})(?:${CHUNK_EXT.source})*$`);
// #endregion

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

// #region chunked-decoder
/**
 * Decodes a chunked body however its bytes arrive (one at a time from telnet, all at once from
 * curl). Chunk extensions are read and ignored (§7.1.1: a recipient MUST ignore ones it does not
 * understand); trailer fields are read, checked as fields and dropped (§7.1.2: a recipient MAY
 * discard them), so an application never mistakes one for a header field. Lines end with CRLF:
 * a bare LF inside the chunked framing is refused, as framing that two parsers could read
 * differently is how request smuggling starts.
 */
export class ChunkedDecoder {
  readonly chunks: Buffer[] = []; // the decoded body so far
  bodyBytes = 0;
  private state: State = 'size';
  private pending: Buffer = Buffer.alloc(0); // a line not yet whole
  private remaining = 0; // bytes of the current chunk still to come
  private trailerBytes = 0;

  /** maxBodyBytes: a larger decoded body gets 413; maxLineBytes: a longer line or trailer 431. */
  constructor(
    private readonly maxBodyBytes: number,
    private readonly maxLineBytes: number,
  ) {}

  /** True once the last chunk and the trailer section have arrived. */
  get done(): boolean {
    return this.state === 'done';
  }

  /**
   * The next bytes: what came after the body once it is whole (the next request's start), else
   * undefined. @throws HttpError 400 for a malformed chunk, 413 or 431 past a limit
   */
  push(bytes: Buffer): Buffer | undefined {
    let data = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    this.pending = Buffer.alloc(0);
    while (data.length > 0 && this.state !== 'done') {
      const used =
        this.state === 'data'
          ? this.takeData(data)
          : this.state === 'data-end'
            ? this.takeDataEnd(data)
            : this.takeLine(data);
      if (used === 0) {
        this.pending = data; // a line not yet whole: keep it for the next bytes
        return undefined;
      }
      data = data.subarray(used);
    }
    return this.state === 'done' ? data : undefined;
  }

  /** Takes chunk data; returns how many bytes it used. */
  private takeData(data: Buffer): number {
    const taken = data.subarray(0, this.remaining);
    this.chunks.push(taken);
    this.bodyBytes += taken.length;
    this.remaining -= taken.length;
    if (this.remaining === 0) this.state = 'data-end';
    return taken.length;
  }

  /** Takes one CRLF-ended line if it has arrived; returns how many bytes it used (0: not yet). */
  private takeLine(data: Buffer): number {
    const lf = data.indexOf(0x0a);
    if (lf === -1) {
      if (data.length > this.maxLineBytes) throw this.tooLong();
      return 0;
    }
    if (lf === 0 || data[lf - 1] !== 0x0d) {
      throw new HttpError(400, 'a line of the chunked body ends in LF without CR (RFC 9112 §7.1)');
    }
    const line = data.subarray(0, lf - 1).toString('latin1');
    if (this.state === 'size') this.sizeLine(line);
    else this.trailerLine(line, lf + 1);
    return lf + 1;
  }

  private sizeLine(line: string): void {
    const match = CHUNK_LINE.exec(line);
    if (!match) {
      const expected = 'expected a size in hex, then CRLF (RFC 9112 §7.1)';
      throw new HttpError(400, `malformed chunk size line ${JSON.stringify(line)}: ${expected}`);
    }
    const size = parseInt(match[1]!, 16); // the extensions are ignored (§7.1.1)
    if (this.bodyBytes + size > this.maxBodyBytes) {
      throw new HttpError(413, `the request body is larger than ${this.maxBodyBytes} bytes`);
    }
    this.remaining = size;
    this.state = size === 0 ? 'trailer' : 'data';
  }

  /**
   * §7.1: chunk data is followed by exactly CRLF. Checked byte by byte, so a chunk longer than
   * its size line says is refused at its first extra byte, not after a line's worth of waiting.
   * Returns how many bytes it used (0: the LF has not come yet).
   */
  private takeDataEnd(data: Buffer): number {
    if (data[0] !== 0x0d || (data.length > 1 && data[1] !== 0x0a)) {
      const reason = 'a chunk is longer than its size line says, or lacks its CRLF';
      throw new HttpError(400, `${reason} (RFC 9112 §7.1)`);
    }
    if (data.length === 1) return 0; // the CR alone: keep it until the LF comes
    this.state = 'size';
    return 2;
  }

  private trailerLine(line: string, length: number): void {
    this.trailerBytes += length;
    if (this.trailerBytes > this.maxLineBytes) throw this.tooLong();
    if (line === '') {
      this.state = 'done';
      return;
    }
    // §7.1.2: a trailer field has the syntax of a header field (parseField); checked, then dropped.
    try {
      parseField(line);
    } catch {
      throw new HttpError(400, `malformed trailer field ${JSON.stringify(line)} (RFC 9112 §7.1.2)`);
    }
  }

  private tooLong(): HttpError {
    const reason = `a chunk size line or the trailer section is longer than ${this.maxLineBytes}`;
    return new HttpError(431, `${reason} bytes`);
  }
}
// #endregion

// #region encode-chunk
/** One chunk of a response body on the wire (RFC 9112 §7.1): size in hex, CRLF, bytes, CRLF. */
export function encodeChunk(data: Uint8Array): Buffer {
  const size = Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1');
  return Buffer.concat([size, data, CRLF]);
}

/** The last chunk and the end of an empty trailer section: what ends a chunked body. */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
// #endregion

const CRLF = Buffer.from('\r\n', 'latin1');
