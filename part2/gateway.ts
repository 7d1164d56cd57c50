/**
 * The gateway interface: PEP 3333 (WSGI 1.0.1) in TypeScript.
 *
 * A server calls an application with two arguments, `environ` and
 * `startResponse`; the application calls `startResponse(status, headers)` and
 * returns an iterable of byte chunks, the body. Anything that speaks this
 * interface runs on any server that speaks it: that is the whole point.
 *
 * Hold this file beside the PEP: every type and rule below names the PEP
 * section it comes from. Where Node differs from Python we say so:
 * - A body may be an async iterable too, because Node cannot block while a
 *   framework awaits (PEP 3333 bodies are synchronous iterables).
 * - Byte chunks are Uint8Array (a Buffer is one). A string is not bytes: PEP
 *   3333 "Unicode Issues" makes the application encode its own text, so the
 *   server refuses strings (iterating a JS string would yield characters).
 * - `wsgi.input` reads a body the server has already received in full,
 *   because a JS function cannot block on a socket read the way Python's
 *   `read()` does.
 *
 * This file is the interface only: types, and the rules both sides check.
 * The server is webserver2.ts; applications and middleware live in apps/.
 */
import { TOKEN } from './http.ts';

// #region application
/** A chunk of the response body: bytes, never a string (PEP 3333 "Unicode Issues"). */
export type Chunk = Uint8Array;

/**
 * What an application returns: an iterable of byte chunks, sync or async,
 * that may have a `close()` method. The server iterates it, sends each chunk,
 * and always calls `close()` when the request ends, however it ends
 * (PEP 3333 "Specification Details": "if the iterable returned by the
 * application has a close() method, the server or gateway must call that
 * method upon completion of the current request").
 */
export type Body = (Iterable<Chunk> | AsyncIterable<Chunk>) & { close?: () => void };

/**
 * The application object (PEP 3333 "The Application/Framework Side"):
 * a callable taking `environ` and `startResponse`, returning the body.
 *
 * @example
 *   const app: Application = (environ, startResponse) => {
 *     startResponse('200 OK', [['Content-Type', 'text/plain']]);
 *     return [Buffer.from('Hello world!\n')];
 *   };
 */
export type Application = (environ: Environ, startResponse: StartResponse) => Body;
// #endregion

// #region start-response
/**
 * Response header fields: an ordered list of [name, value] pairs, case kept (PEP 3333 "The
 * start_response() Callable").
 */
export type Headers = Array<[name: string, value: string]>;

/**
 * `start_response(status, response_headers, exc_info=None)`:
 * - `status`: a status code and reason phrase, e.g. `'200 OK'` or `'404 Not Found'`;
 * - `headers`: the application's header fields, no hop-by-hop ones;
 * - `excInfo`: only when calling a second time, from an error handler, to
 *   replace a response whose headers have not been sent yet. If they have
 *   been sent, startResponse throws `excInfo` again.
 *
 * It sends nothing: the server sends the status line and headers together
 * with the first non-empty body chunk. Returns `write`, the legacy
 * imperative way to send body bytes (PEP 3333 "The write() Callable").
 *
 * @throws InterfaceError when the status or a header breaks PEP 3333, or
 *   when called a second time without `excInfo`.
 */
export type StartResponse = (status: string, headers: Headers, excInfo?: unknown) => Write;

/**
 * `write(data)`: sends `data` at once, after the status line and headers (PEP 3333 "The write()
 * Callable").
 */
export type Write = (data: Chunk) => void;
// #endregion

// #region environ
/**
 * The request, as CGI-style variables plus `wsgi.*` keys (PEP 3333
 * "environ Variables"). Every value is a string except the `wsgi.*` ones.
 * Keys the server has no value for are present with '' (never missing), so
 * an application can read them without checks.
 */
export interface Environ {
  /** `GET`, `POST`, ... Never empty. */
  REQUEST_METHOD: string;
  /** Where the application is mounted: '' for the root (our server mounts at the root). */
  SCRIPT_NAME: string;
  /**
   * The rest of the path, percent-decoded, each byte one character (ISO-8859-1, PEP 3333 "Unicode
   * Issues"): '/hello'.
   */
  PATH_INFO: string;
  /** What follows `?` in the request target, not decoded: 'a=1&b=2', or ''. */
  QUERY_STRING: string;
  /** The Content-Type header field, or ''. */
  CONTENT_TYPE: string;
  /** The Content-Length header field (decimal bytes), or ''. */
  CONTENT_LENGTH: string;
  /**
   * The server's own host name: 'localhost'. With SERVER_PORT it rebuilds the URL when HTTP_HOST is
   * absent.
   */
  SERVER_NAME: string;
  /** The server's port, as a string: '8888'. */
  SERVER_PORT: string;
  /** The request's HTTP version: 'HTTP/1.1'. */
  SERVER_PROTOCOL: string;
  /**
   * The client's IP address (CGI, RFC 3875 §4.1.8; not required by PEP 3333, but every server sets
   * it).
   */
  REMOTE_ADDR: string;
  /** Always [1, 0]: WSGI 1.0 (PEP 3333 keeps the version). */
  'wsgi.version': readonly [1, 0];
  /** 'http' or 'https'. */
  'wsgi.url_scheme': 'http' | 'https';
  /** The request body (PEP 3333 "Input and Error Streams"): reads end at CONTENT_LENGTH. */
  'wsgi.input': InputStream;
  /** Where the application writes errors: the server's log (stderr by default). */
  'wsgi.errors': ErrorStream;
  /** True if another thread may call the application at the same time in this process. */
  'wsgi.multithread': boolean;
  /** True if another process may call the application at the same time (Part 3's servers). */
  'wsgi.multiprocess': boolean;
  /** True if the application is called once in this process's life (CGI). */
  'wsgi.run_once': boolean;
  /** Every other request header field: `User-Agent` becomes HTTP_USER_AGENT. */
  [header: `HTTP_${string}`]: string;
  /** Middleware and servers may add their own keys (PEP 3333: named `library.key`). */
  [key: string]: unknown;
}

/**
 * `wsgi.input`: the request body as a file-like object (PEP 3333 "Input and
 * Error Streams"). Reading never goes past CONTENT_LENGTH; at the end every
 * read returns an empty Buffer.
 */
export interface InputStream {
  /** Up to `size` bytes (all that is left when omitted or negative). */
  read(size?: number): Buffer;
  /** One line, up to and including LF; at most `size` bytes when given. */
  readline(size?: number): Buffer;
  /** Every remaining line. */
  readlines(hint?: number): Buffer[];
  /** Iterates lines, as Python's file objects do. */
  [Symbol.iterator](): Iterator<Buffer>;
}

/** `wsgi.errors`: a text stream for error output (PEP 3333 "Input and Error Streams"). */
export interface ErrorStream {
  write(text: string): void;
  writelines(lines: Iterable<string>): void;
  flush(): void;
}
// #endregion

/** Raised when either side breaks PEP 3333. The message names the rule. */
export class InterfaceError extends Error {
  override name = 'InterfaceError';
}

// #region rules
/**
 * Hop-by-hop header fields describe one connection, not the response, so only
 * the server may send them (PEP 3333 "Other HTTP Features"; RFC 9110 §7.6.1).
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Checks a status string, e.g. '200 OK'.
 * @throws InterfaceError naming the rule when it is not a three-digit code
 *   from 200 to 599, a space and a reason phrase of printable characters.
 */
export function checkStatus(status: unknown): asserts status is string {
  if (typeof status !== 'string') {
    throw new InterfaceError(
      `PEP 3333 start_response: status must be a string like '200 OK', got ${describe(status)}`,
    );
  }
  // RFC 9112 §4: status-code SP [ reason-phrase ], the phrase being HTAB / SP / VCHAR / obs-text.
  if (!/^\d{3} [\t\x20-\x7e\x80-\xff]*$/.test(status)) {
    throw new InterfaceError(
      `PEP 3333 start_response: status must be a 3-digit code, a space and a reason phrase ` +
        `without control characters (RFC 9112 §4), got ${JSON.stringify(status)}`,
    );
  }
  const code = Number(status.slice(0, 3));
  if (code < 200 || code > 599) {
    throw new InterfaceError(
      `PEP 3333 start_response: status ${code} is not a final status (200-599); 1xx responses ` +
        `are the server's business (RFC 9110 §15.2)`,
    );
  }
}

/**
 * Checks the header list an application passes to startResponse.
 * @throws InterfaceError naming the rule for: a list that is not an array of
 *   [name, value] string pairs; a name that is not a token (RFC 9110 §5.1);
 *   a value with CR, LF, NUL or other control characters (RFC 9110 §5.5) or
 *   characters outside ISO-8859-1 (PEP 3333 "Unicode Issues"); a hop-by-hop
 *   field (PEP 3333 "Other HTTP Features").
 */
export function checkHeaders(headers: unknown): asserts headers is Headers {
  const rule = 'PEP 3333 start_response:';
  if (!Array.isArray(headers)) {
    const got = describe(headers);
    throw new InterfaceError(`${rule} headers must be a list of [name, value] pairs, got ${got}`);
  }
  for (const pair of headers) {
    const [name, value]: unknown[] = Array.isArray(pair) ? pair : [];
    if (pair?.length !== 2 || typeof name !== 'string' || typeof value !== 'string') {
      const got = describe(pair);
      throw new InterfaceError(
        `${rule} each header must be a [name, value] pair of strings, got ${got}`,
      );
    }
    checkHeader(name, value);
  }
}

/** Checks one [name, value] header pair; see {@link checkHeaders}. */
function checkHeader(name: string, value: string): void {
  const rule = 'PEP 3333 start_response:';
  if (!TOKEN.test(name)) {
    const quoted = JSON.stringify(name);
    throw new InterfaceError(`${rule} header name ${quoted} is not a token (RFC 9110 §5.1)`);
  }
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
    const why = 'that would let it forge headers (RFC 9110 §5.5)';
    const what = `header ${name} has a control character (CR, LF, NUL, ...) in its value`;
    throw new InterfaceError(`${rule} ${what}; ${why}`);
  }
  if (/[^\x00-\xff]/.test(value)) {
    const what = `header ${name} has characters outside ISO-8859-1`;
    throw new InterfaceError(
      `PEP 3333 "Unicode Issues": ${what}; encode them (e.g. RFC 8187) first`,
    );
  }
  if (HOP_BY_HOP.has(name.toLowerCase())) {
    const what = `hop-by-hop header ${name} is the server's business, not the application's`;
    throw new InterfaceError(`PEP 3333 "Other HTTP Features": ${what}`);
  }
}

/**
 * Checks one body chunk.
 * @throws InterfaceError when it is not bytes (PEP 3333 "Unicode Issues").
 */
export function checkChunk(chunk: unknown): asserts chunk is Chunk {
  if (chunk instanceof Uint8Array) return;
  const hint =
    typeof chunk === 'string'
      ? ': encode text yourself, e.g. Buffer.from(text)'
      : typeof chunk === 'number'
        ? ': did the application return a Buffer instead of [buffer]? A Buffer iterates as numbers'
        : '';
  throw new InterfaceError(
    `PEP 3333: the body must yield bytes (Uint8Array), got ${describe(chunk)}${hint}`,
  );
}
// #endregion

// #region check-body
/**
 * Checks what the application returned (PEP 3333 "Specification Details"): an
 * iterable of byte chunks, sync or async. A string or bare bytes is the classic
 * slip: both iterate, as characters or as numbers, so the server would send garbage.
 * @throws InterfaceError naming the rule and the fix
 */
export function checkBody(body: unknown): asserts body is Body {
  const rule = 'PEP 3333 "Specification Details": the application';
  if (typeof body === 'string') {
    const fix = 'not a string (it would iterate as characters), e.g. [Buffer.from(text)]';
    throw new InterfaceError(`${rule} returned a string; return an iterable of bytes, ${fix}`);
  }
  if (body instanceof Uint8Array) {
    throw new InterfaceError(`${rule} returned bytes, not an iterable of bytes: return [buffer]`);
  }
  const iterable = body as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  const sync = typeof iterable?.[Symbol.iterator] === 'function';
  if (!sync && typeof iterable?.[Symbol.asyncIterator] !== 'function') {
    throw new InterfaceError(`${rule} must return an iterable of bytes, got ${describe(body)}`);
  }
}
// #endregion

/** A short description of a value for an error message: its type and a glimpse of it. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string')
    return `a string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return String(value);
}

/**
 * `wsgi.input` over a body that has fully arrived. Reads never return more
 * than `body` holds (PEP 3333: never past CONTENT_LENGTH). A class, so that
 * building one per request allocates one small object, not four closures.
 */
export class BodyInput implements InputStream {
  private offset = 0;
  constructor(private readonly body: Buffer) {}

  read(size?: number): Buffer {
    const end =
      size === undefined || size < 0
        ? this.body.length
        : Math.min(this.body.length, this.offset + size);
    const bytes = this.body.subarray(this.offset, end);
    this.offset = end;
    return bytes;
  }

  readline(size?: number): Buffer {
    const newline = this.body.indexOf(0x0a, this.offset);
    let end = newline === -1 ? this.body.length : newline + 1;
    if (size !== undefined && size >= 0) end = Math.min(end, this.offset + size);
    const bytes = this.body.subarray(this.offset, end);
    this.offset = end;
    return bytes;
  }

  readlines(): Buffer[] {
    return [...this];
  }

  *[Symbol.iterator](): Iterator<Buffer> {
    for (let line = this.readline(); line.length > 0; line = this.readline()) yield line;
  }
}

/** `wsgi.errors` over a function that takes text (e.g. one that writes to stderr). */
export class TextErrors implements ErrorStream {
  constructor(private readonly sink: (text: string) => void) {}

  write(text: string): void {
    this.sink(text);
  }

  writelines(lines: Iterable<string>): void {
    for (const line of lines) this.sink(line);
  }

  flush(): void {}
}

/** Builds `wsgi.input` over a body that has fully arrived. */
export function createInputStream(body: Buffer): InputStream {
  return new BodyInput(body);
}

/** Builds `wsgi.errors` over a function that takes text. */
export function createErrorStream(sink: (text: string) => void): ErrorStream {
  return new TextErrors(sink);
}
