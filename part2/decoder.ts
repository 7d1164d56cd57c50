/**
 * Frames requests in a connection's byte stream (RFC 9112 §6): the head up to its blank line, then
 * the body by Content-Length or by chunks. The one stateful piece of the wire format; what the
 * bytes mean is http.ts's job, the chunks are chunked.ts's. Tested with plain bytes (http.test.ts).
 */
import { ChunkedDecoder, isChunked } from './chunked.ts';
import type { Headers } from './gateway.ts';
import {
  bodyLength,
  expectsContinue,
  HttpError,
  isField,
  parseRequest,
  type Limits,
  type Request,
  type RequestHead,
} from './http.ts';

/** No bytes; shared, as a Buffer of length 0 cannot change. */
const EMPTY = Buffer.alloc(0);

// #region deadlines
/**
 * The most a request head may take, in ms, from its first byte to its blank line, however its
 * bytes trickle; then 408. REQUEST_TIMEOUT_MS bounds a silence, and every byte starts it again:
 * a slowloris client (one byte every few seconds, on many connections) would hold each for as
 * long as 8 KiB take at that pace, about 2 h at 1 B/s. 60 s, node:http's headersTimeout: a
 * person typing a request into telnet finishes well within it.
 */
export const HEAD_TIMEOUT_MS = 60_000;
/**
 * The most a request body may take, in ms, from the end of its head: this, plus its length at
 * MIN_BODY_BYTES_PER_SECOND (a chunked body: the largest we accept, as its length is unknown).
 * 30 s, as REQUEST_TIMEOUT_MS: room for a client that waits, then sends (100 Continue).
 */
export const BODY_TIMEOUT_MS = 30_000;
/**
 * The slowest a body may arrive, in bytes per second, on average: 16 KiB/s (128 kbit/s), below a
 * poor mobile uplink. 1 MiB (MAX_BODY_BYTES) may take 30 s + 64 s. Apache's mod_reqtimeout
 * works so too (a time, extended by a minimum rate); its MinRate is lower, for dial-up.
 */
export const MIN_BODY_BYTES_PER_SECOND = 16 * 1024;
// #endregion

/** The total deadlines a request's head and body get, in ms; tests make them short. */
export interface Deadlines {
  headTimeoutMs?: number | undefined;
  bodyTimeoutMs?: number | undefined;
  minBodyBytesPerSecond?: number | undefined;
}

// #region request-decoder
/**
 * Collects one request from a connection's bytes, however they arrive (a byte at a time from
 * telnet, all at once from curl): the head up to its blank line, then the body: exactly
 * Content-Length bytes, or chunks (RFC 9112 §7.1) until the last one. TCP is a byte stream, not
 * messages: one read may hold half a line, or a head, a body and the next request's start.
 */
export class RequestDecoder {
  private received: Buffer = EMPTY; // the head so far; at most maxHeadBytes
  private head: RequestHead | undefined;
  private contentLength = 0;
  private chunked: ChunkedDecoder | undefined; // for Transfer-Encoding: chunked
  private readonly body: Buffer[] = [];
  private bodyBytes = 0;
  private continueDue = false;
  /** What arrived after the request: the start of the next one (pipelining, RFC 9112 §9.3.2). */
  rest: Buffer = EMPTY;

  constructor(private readonly limits: Limits) {}
  // #endregion
  // #region decoder-push
  /** The next bytes: the request once it is whole, else undefined. @throws HttpError to refuse */
  push(chunk: Buffer): Request | undefined {
    if (!this.head) {
      const afterHead = this.pushHead(chunk);
      if (afterHead === undefined) return undefined; // not yet: wait for more bytes
      chunk = afterHead;
      const bodyDue = this.chunked ? chunk.length === 0 : this.contentLength > chunk.length;
      this.continueDue = bodyDue && expectsContinue(this.head!);
    }
    if (this.chunked) return this.pushChunked(chunk);
    if (this.contentLength > 0) {
      const wanted = chunk.subarray(0, this.contentLength - this.bodyBytes);
      this.body.push(wanted);
      this.bodyBytes += wanted.length;
      if (this.bodyBytes < this.contentLength) return undefined;
      chunk = chunk.subarray(wanted.length);
    }
    this.rest = chunk;
    // Written out rather than spread, and no new Buffer for an empty body: this runs once a
    // request, and the profile of webserver2b.ts under load showed both.
    const { method, target, version, headers, head, bareLf } = this.head!;
    const body =
      this.bodyBytes === 0
        ? EMPTY
        : this.body.length === 1
          ? this.body[0]!
          : Buffer.concat(this.body);
    if (bareLf) return { method, target, version, headers, head, bareLf, body };
    return { method, target, version, headers, head, body };
  }

  /** Adds bytes to the head; once it is whole, parses it and returns the bytes after it. */
  private pushHead(chunk: Buffer): Buffer | undefined {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const end = endOfHead(this.received);
    const { maxHeadBytes, maxBodyBytes } = this.limits;
    if (end === -1 ? this.received.length > maxHeadBytes : end > maxHeadBytes) {
      throw new HttpError(431, `the request head is larger than ${maxHeadBytes} bytes`);
    }
    if (end === -1) return undefined;
    const whole = end === this.received.length; // nothing after the head: no copy to make
    const head = parseRequest(whole ? this.received : this.received.subarray(0, end));
    this.contentLength = bodyLength(head.headers); // 400 for Transfer-Encoding and Content-Length
    if (isChunked(head.version, head.headers)) {
      this.chunked = new ChunkedDecoder(maxBodyBytes, maxHeadBytes);
    }
    if (this.contentLength > maxBodyBytes) {
      const unread = this.contentLength - (this.received.length - end); // still to come
      throw new HttpError(413, `the request body is larger than ${maxBodyBytes} bytes`, unread);
    }
    this.head = head;
    return whole ? EMPTY : this.received.subarray(end); // what came after the head starts the body
  }

  /**
   * RFC 9112 §7.1.3: once decoded, the body has a length: Content-Length says it and
   * Transfer-Encoding goes, so environ's CONTENT_LENGTH is the decoded length (PEP 3333).
   */
  private pushChunked(chunk: Buffer): Request | undefined {
    const rest = this.chunked!.push(chunk);
    if (rest === undefined) return undefined;
    this.rest = rest;
    const { chunks, bodyBytes } = this.chunked!;
    const headers: Headers = this.head!.headers.filter(
      ([name]) => !isField(name, 'transfer-encoding'),
    );
    headers.push(['Content-Length', String(bodyBytes)]);
    return { ...this.head!, headers, body: Buffer.concat(chunks) };
  }
  // #endregion
  /** Where the request stands: no byte yet, in its head, or in its body. */
  get stage(): 'none' | 'head' | 'body' {
    if (this.head) return 'body';
    return this.received.length === 0 ? 'none' : 'head';
  }

  /** The most body bytes still due: what Content-Length says, or the limit for chunks. */
  get bodyBytesDue(): number {
    return this.chunked ? this.limits.maxBodyBytes : this.contentLength;
  }

  /** True once, after a head whose client waits for {@link CONTINUE} (RFC 9110 §10.1.1). */
  takeContinue(): boolean {
    const due = this.continueDue;
    this.continueDue = false;
    return due;
  }

  /**
   * The client stopped sending (a half-close) before the request was whole: a plain Error if it
   * sent nothing (nothing to answer), else an HttpError 400 that says where the request broke off.
   */
  end(): Error {
    if (this.received.length === 0) return new Error('the client closed without sending a request');
    const { head, bodyBytes, contentLength, chunked } = this;
    if (chunked) {
      const where = `the request body ended after ${chunked.bodyBytes} decoded bytes`;
      return new HttpError(400, `${where}, before its last chunk (RFC 9112 §7.1)`);
    }
    const where = head
      ? `the request body ended after ${bodyBytes} of the ${contentLength} bytes its`
      : 'the connection ended before the blank line that ends the request head';
    return new HttpError(400, head ? `${where} Content-Length announced` : where);
  }
}

// #region request-deadline
/**
 * The total deadline of the request a decoder is reading: HEAD_TIMEOUT_MS from its first byte,
 * then a new one for its body from the end of its head. A server calls follow() after the bytes
 * it pushes, and clear() once the request is whole; `expire` gets the 408 to answer.
 */
export class RequestDeadline {
  private timer: NodeJS.Timeout | undefined;
  private stage: 'none' | 'head' | 'body' = 'none';

  constructor(
    private readonly deadlines: Deadlines,
    private readonly expire: (error: HttpError) => void,
  ) {}

  /** Arms the timer for where `decoder` stands, unless it is armed for that already. */
  follow(decoder: RequestDecoder): void {
    if (decoder.stage === this.stage) return;
    this.clear();
    this.stage = decoder.stage;
    if (this.stage === 'none') return;
    const { headTimeoutMs = HEAD_TIMEOUT_MS, bodyTimeoutMs = BODY_TIMEOUT_MS } = this.deadlines;
    const rate = this.deadlines.minBodyBytesPerSecond ?? MIN_BODY_BYTES_PER_SECOND;
    const bodyMs = bodyTimeoutMs + Math.ceil((decoder.bodyBytesDue * 1000) / rate);
    const [what, ms] = this.stage === 'head' ? ['head', headTimeoutMs] : ['body', bodyMs];
    const reason = `the request ${what} took longer than ${ms} ms in all`;
    this.timer = setTimeout(() => this.expire(new HttpError(408, reason)), ms);
  }

  /** Stops the timer: the request is whole, refused, or the connection gone. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stage = 'none';
  }
}
// #endregion

/**
 * Index just past the blank line that ends a request head, or -1 if it has not arrived. A line ends
 * with LF, optionally after CR (RFC 9112 §2.2: a recipient MAY accept a bare LF, which `nc` sends).
 */
export function endOfHead(bytes: Buffer): number {
  let start = 0;
  // RFC 9112 §2.2: ignore empty lines before the request line (a client may send CRLF after a body)
  while (bytes[start] === 0x0a || (bytes[start] === 0x0d && bytes[start + 1] === 0x0a)) {
    start += bytes[start] === 0x0a ? 1 : 2;
  }
  for (let i = bytes.indexOf(0x0a, start); i !== -1; i = bytes.indexOf(0x0a, i + 1)) {
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}
