/**
 * The response side of one request, as wsgiref's handlers.py is beside its
 * simple_server.py: runApplication calls the application and finishResponse
 * sends its body (BaseHandler.run, finish_response); a ResponseHandler object
 * holds what startResponse stored and sends the head and body; sendError
 * answers a refused request; and
 * closeConnection ends the connection without losing the response (RFC 9112
 * §9.6). webserver2.ts makes one ResponseHandler per request and closes after
 * it; webserver2b.ts asks for a persistent connection (RFC 9112 §9.3), and the
 * handler says how the response ends: by its Content-Length, by chunks
 * (chunked.ts) on HTTP/1.1, or by the close on HTTP/1.0.
 */
import type { Socket } from 'node:net';
import {
  checkBody,
  checkChunk,
  checkHeaders,
  checkStatus,
  InterfaceError,
  type Application,
  type Body,
  type Environ,
  type Headers,
  type StartResponse,
  type Write,
} from './gateway.ts';
import { encodeChunk, LAST_CHUNK } from './chunked.ts';
import {
  httpDate,
  HttpError,
  isField,
  responseHead,
  statusLine,
  stripOws,
  type Request,
} from './http.ts';

/** The Server header field we add when the application sends none. */
export const SERVER_SOFTWARE = 'GatewayServer/0.2';

/**
 * After our response, how long at most we read (and drop) what the client still sends, in ms
 * (RFC 9112 §9.6): long enough for bytes already in flight on any network, short enough that a
 * client that never stops cannot hold the connection. In all, not per read: a trickle cannot
 * extend it.
 */
export const LINGER_MS = 2_000;
/**
 * ... and how many bytes at most, 256 KiB: the rest of a refused head or a body in flight. A
 * client that sends more after our answer is not reading it; it gets a reset (RST).
 */
export const LINGER_BYTES = 256 * 1024;
// #region slow-and-greedy
/**
 * After refusing a body whose length the client announced (a 413 for its Content-Length), how
 * many of its bytes at most we read and drop, 32 MiB. A client that sends no `Expect:
 * 100-continue` (Python's http.client, most scripts) writes its whole body before it reads; were
 * we to close with its bytes unread, the kernel would send RST and destroy the 413 before it is
 * read (RFC 9112 §9.6). Dropped as they come: memory stays flat. A larger body gets the reset.
 */
export const MAX_DISCARD_BYTES = 32 * 1024 * 1024;
/**
 * ... and how long at most, in ms, in all: 30 s, nginx's lingering_time; 32 MiB at 1 MiB/s.
 * A client that trickles its refused body cannot stretch it.
 */
export const MAX_DISCARD_MS = 30_000;
/**
 * How long one write may wait for the client to read, in ms: while Node holds bytes the kernel
 * could not take ('drain' not yet come), and while the last bytes go out before the close. A
 * client that pipelines requests and never reads their answers would otherwise hold its
 * connection for ever; then we reset it. 60 s, nginx's send_timeout: a phone that walks through
 * a tunnel can come back within it.
 */
export const SEND_TIMEOUT_MS = 60_000;
// #endregion

/** What a handler needs from the server's options. */
export interface HandlerSettings {
  /** Where the `< ` / `> ` request and response lines go; none for --quiet. */
  log?: ((line: string) => void) | undefined;
  /** `wsgi.errors`: where application errors and interface violations go. */
  errors: (text: string) => void;
  /** The Date field's value, e.g. from {@link dateSource}. */
  date: () => string;
  /** See {@link SEND_TIMEOUT_MS}; tests make it short. */
  sendTimeoutMs?: number | undefined;
}

// #region run-application
/**
 * Calls the application and sends its response (PEP 3333 "The Server/Gateway
 * Side"). If it fails, the client gets a 500, or a reset once the head is out.
 * Whatever happens, the body's close() is called.
 */
export async function runApplication(
  app: Application,
  environ: Environ,
  handler: ResponseHandler,
): Promise<void> {
  let body: Body | undefined;
  try {
    body = app(environ, handler.startResponse);
    await finishResponse(handler, body);
  } catch (error) {
    handleError(handler, error);
  } finally {
    closeBody(body, handler.settings.errors);
  }
}
// #endregion

// #region finish-response
/**
 * Sends the body, as webserver2.py's finish_response: the head goes out with
 * the first non-empty chunk (or at the end, for an empty body), then close, or
 * on a persistent connection the end of the response.
 * @throws InterfaceError when the body breaks PEP 3333; whatever iterating it throws.
 */
export async function finishResponse(handler: ResponseHandler, body: unknown): Promise<void> {
  checkBody(body);
  // Most applications return an array. Walked with `for await`, each chunk costs promises and
  // turns of the microtask queue (node --cpu-prof shows them): an array is walked directly.
  const chunks = Array.isArray(body) ? (body as unknown[]) : undefined;
  for (const chunk of chunks ?? []) {
    if (!sendChunk(handler, chunk)) await handler.drain();
  }
  if (!chunks) {
    for await (const chunk of body) {
      if (!sendChunk(handler, chunk)) await handler.drain();
      if (handler.connection.destroyed) break; // the client left: stop asking the app for more
    }
  }
  if (handler.status === undefined) {
    throw new InterfaceError('PEP 3333: the application returned without calling start_response');
  }
  handler.close();
}

/** Sends one chunk of the body; false when we must wait for the handler's drain(). */
function sendChunk(handler: ResponseHandler, chunk: unknown): boolean {
  checkChunk(chunk);
  if (chunk.length === 0) return true; // PEP 3333: an empty chunk must not send the headers
  if (handler.status === undefined) {
    throw new InterfaceError(
      'PEP 3333: the application yielded body bytes before calling start_response',
    );
  }
  return handler.send(chunk);
}
// #endregion

// #region response-handler
/**
 * The response side of one request, as wsgiref's BaseHandler: startResponse
 * stores the status and headers; write and send put body bytes on the wire,
 * the head (sendHead) going out with the first of them; close ends the
 * connection, or with `persistent` ends the response and leaves the connection
 * open for the next request. One per request: nothing in it outlives the request.
 */
export class ResponseHandler {
  status: string | undefined;
  headers: Headers = [];
  headersSent = false;
  private keepAlive: boolean; // the connection stays open after this response; framing decides
  private chunked = false; // the body goes out as chunks (RFC 9112 §7.1)
  private unsent = -1; // body bytes the Content-Length still owes; -1 without one
  private bodyLog = ''; // the start of the body, for the `> ` log
  private clientStillSending: boolean; // bytes came after the request: close() must linger
  private closeRequested = false; // the application asked for the close (requestClose)
  private readonly isHead: boolean;
  private readonly idleTimeoutMs: number | undefined; // how long the connection may idle after

  /**
   * `persistent`: leave the connection open after the response if it can be framed (webserver2b).
   * `idleTimeoutMs`: how long, in ms, it may then sit idle before the server closes it; said in
   * the response's Keep-Alive field.
   * `clientStillSending`: bytes came after the request already (pipelined, or not HTTP at all).
   */
  constructor(
    readonly connection: Socket,
    readonly request: Request,
    readonly settings: HandlerSettings,
    {
      persistent = false,
      clientStillSending = false,
      idleTimeoutMs = undefined as number | undefined,
    } = {},
  ) {
    this.isHead = request.method === 'HEAD'; // RFC 9110 §9.3.2: same headers, no body
    this.keepAlive = persistent;
    this.idleTimeoutMs = idleTimeoutMs;
    this.clientStillSending = clientStillSending;
    // What the client sends after its request is read and dropped; close() needs to know.
    // A persistent connection's server reads on: what follows is the next request.
    if (!persistent) connection.on('data', () => (this.clientStillSending = true));
  }
  // #endregion

  // #region handler-start-response
  /** PEP 3333 start_response: checks and stores the status and headers; sends nothing. */
  readonly startResponse: StartResponse = (status, headers, excInfo) => {
    if (excInfo !== undefined && excInfo !== null) {
      if (this.headersSent) throw excInfo; // PEP 3333: too late to change the response; re-raise
    } else if (this.status !== undefined) {
      throw new InterfaceError('PEP 3333 start_response: called a second time without exc_info');
    }
    checkStatus(status);
    const kept = withoutConnectionClose(headers);
    if (kept !== headers) this.requestClose();
    checkHeaders(kept);
    this.status = status;
    this.headers = [...kept];
    return this.write;
  };

  /** PEP 3333 write(): sends `data` at once, after the head. */
  readonly write: Write = (data) => {
    checkChunk(data);
    if (this.status === undefined) {
      throw new InterfaceError('PEP 3333 write(): called before start_response');
    }
    // write() cannot wait (PEP 3333 makes it a plain call), but a client that stops reading is
    // still reset after SEND_TIMEOUT_MS: drain() arms that.
    if (data.length > 0 && !this.send(data)) void this.drain();
  };
  // #endregion

  // #region handler-send
  /**
   * Sends a chunk of the body, the head first (in one write with it).
   * @returns false when the kernel's send buffer is full: wait for {@link drain} before more.
   */
  send(chunk: Uint8Array): boolean {
    if (this.connection.destroyed) return true; // nobody to send to, nothing to wait for
    if (this.settings.log && !this.isHead && this.bodyLog.length < 1024) {
      this.bodyLog += Buffer.from(chunk).toString('utf8');
    }
    const body = this.isHead ? undefined : chunk; // RFC 9110 §9.3.2: HEAD gets the head only
    if (!this.headersSent) return this.sendHead(body);
    return !body || this.connection.write(this.encode(body));
  }

  /** Backpressure: resolves on 'drain' (or the client leaving); SEND_TIMEOUT_MS, then a reset. */
  drain(): Promise<void> {
    return waitForDrain(this.connection, this.settings.sendTimeoutMs);
  }

  /**
   * Sends the status line and headers, framed, with the first body chunk: one write, one TCP
   * segment. Without one, the head alone: the body is empty, or a HEAD response has none.
   */
  private sendHead(first: Uint8Array | undefined): boolean {
    this.applyFraming(this.decideFraming(first));
    const fields = serverFields(this.settings);
    fields.push(...this.idleTimeoutField());
    const head = responseHead(this.status!, this.headers, fields, this.connectionField());
    logLines(this.settings.log, '> ', head);
    this.headersSent = true;
    if (!first) return this.connection.write(head, 'latin1');
    const body = this.encode(first);
    const bytes = Buffer.allocUnsafe(head.length + body.length); // one buffer: one write
    bytes.write(head, 0, 'latin1');
    bytes.set(body, head.length);
    return this.connection.write(bytes);
  }

  /** Body bytes as they go on the wire: as they are, or as a chunk; counted against the length. */
  private encode(body: Uint8Array): Uint8Array {
    if (this.unsent === -1) return this.chunked ? encodeChunk(body) : body;
    // PEP 3333: never more than the Content-Length: the rest would be read as the next response.
    const allowed = body.length > this.unsent ? body.subarray(0, this.unsent) : body;
    this.unsent -= allowed.length;
    return allowed;
  }

  /**
   * Ends the response (wsgiref's finish_content, then close): the head if the body was empty,
   * the last chunk when chunked; then FIN and close, unless the connection persists.
   */
  close(): void {
    if (!this.headersSent) this.sendHead(undefined);
    if (this.bodyLog) logLines(this.settings.log, '> ', this.bodyLog);
    if (this.chunked) this.connection.write(LAST_CHUNK);
    if (this.persists()) return;
    // After an application's close, the next pipelined request may be arriving: linger.
    const linger = this.clientStillSending || this.closeRequested;
    closeConnection(this.connection, linger, { sendTimeoutMs: this.settings.sendTimeoutMs });
  }

  /**
   * The application asks for the connection to close after this response (node:http's
   * `Connection: close`, RFC 9112 §9.6): said in the head if it has not gone out yet.
   */
  requestClose(): void {
    this.closeRequested = true;
    if (!this.headersSent) this.keepAlive = false;
  }

  /** Whether the connection stays open for the next request, once this response is out. */
  private persists(): boolean {
    // A body shorter than its Content-Length: the client waits for the rest, so only the close
    // can tell it (RFC 9112 §6.3); and the close the application asked for.
    return this.keepAlive && this.unsent <= 0 && !this.closeRequested;
  }
  // #endregion

  // #region framing
  /**
   * How this response says where its body ends (RFC 9112 §6.3), decided as its head goes out:
   * the application's Content-Length (a number: the bytes it promises); none needed; an empty
   * body's Content-Length: 0; chunks on HTTP/1.1; else only the close can end it (HTTP/1.0, or
   * a connection that closes anyway). Decides; changes nothing.
   */
  private decideFraming(first: Uint8Array | undefined): Framing {
    if (!this.keepAlive) return 'close';
    const length = this.headers.find(([name]) => isField(name, 'content-length'));
    if (length) return this.isHead ? 0 : Number(length[1]);
    // §6.3 items 1-2: HEAD, 1xx, 204 and 304 responses have no body, so nothing to frame.
    const code = Number(this.status!.slice(0, 3));
    if (this.isHead || code < 200 || code === 204 || code === 304) return 'bodiless';
    if (!first) return 'empty'; // known at close: an empty body
    return this.request.version === 'HTTP/1.0' ? 'close' : 'chunked'; // §6.3 item 8; §7.1
  }

  /** Acts on the framing: the field it needs, and what encode() and close() keep count of. */
  private applyFraming(framing: Framing): void {
    if (typeof framing === 'number') this.unsent = framing;
    else if (framing === 'empty') this.headers.push(['Content-Length', '0']);
    else if (framing === 'chunked') this.headers.push(['Transfer-Encoding', 'chunked']);
    this.chunked = framing === 'chunked';
    if (framing === 'close') this.keepAlive = false;
  }

  /**
   * On a connection that persists, the Keep-Alive field says how long it may idle before we close
   * it, in whole seconds, as node:http and Apache say theirs (RFC 2068 §19.7.1 defined it; RFC
   * 9112 leaves it out, and clients still read it): a client that knows stops reusing the
   * connection before that, instead of sending a request into our close.
   */
  private idleTimeoutField(): Headers {
    if (!this.keepAlive || this.idleTimeoutMs === undefined) return [];
    return [['Keep-Alive', `timeout=${Math.floor(this.idleTimeoutMs / 1000)}`]];
  }

  /**
   * The Connection field's value. §9.3: 1.1 persists by default; 1.0 must be told. And RFC 9110
   * §7.6.1: a field about this connection only (Keep-Alive) is listed in Connection, so that a
   * proxy drops it instead of passing it on.
   */
  private connectionField(): string | undefined {
    if (!this.keepAlive) return 'close';
    const told = this.idleTimeoutMs !== undefined || this.request.version === 'HTTP/1.0';
    return told ? 'keep-alive' : undefined;
  }
  // #endregion
}

/**
 * How a response's end is found (RFC 9112 §6.3): a number, its Content-Length; `bodiless`, it
 * has no body (HEAD, 1xx, 204, 304); `empty`, Content-Length: 0 added; `chunked`; `close`.
 */
type Framing = number | 'bodiless' | 'empty' | 'chunked' | 'close';

/**
 * `headers` without an application's `Connection: close`, or `headers` itself if it has none.
 * PEP 3333 forbids an application hop-by-hop fields (checkHeaders), but node:http lets a handler
 * ask for the close so, and frameworks do (Fastify with its 400s): apps/node-http.ts passes that
 * one on, and the server honours it (RFC 9112 §9.6). Any other Connection field still fails.
 */
function withoutConnectionClose(headers: Headers): Headers {
  if (!Array.isArray(headers)) return headers; // checkHeaders says what is wrong
  const isClose = (field: unknown) =>
    Array.isArray(field) &&
    isField(String(field[0]), 'connection') &&
    stripOws(String(field[1])).toLowerCase() === 'close';
  return headers.some(isClose) ? headers.filter((field) => !isClose(field)) : headers;
}

/** Until 'drain' (or the close); after `timeoutMs` (SEND_TIMEOUT_MS) the client is reset. */
function waitForDrain(connection: Socket, timeoutMs = SEND_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => connection.destroy(), timeoutMs); // 'close' follows
    const done = () => {
      clearTimeout(timer);
      connection.off('drain', done);
      connection.off('close', done);
      resolve();
    };
    connection.on('drain', done);
    connection.on('close', done);
  });
}

// #region close-connection
/**
 * Ends the connection the cheapest safe way. When nothing more can arrive (the
 * whole request is read), close(2) as soon as the kernel holds the last byte:
 * it sends them, then FIN, and we need not wait for the client's FIN (Python's
 * close(), node:http's destroy). But closing a socket that has unread bytes
 * makes the kernel send RST, which can destroy the response before the client
 * has read it; so when the client may still be sending (`linger`) we send FIN
 * and keep reading and dropping first, at most LINGER_MS and LINGER_BYTES
 * (RFC 9112 §9.6, "lingering close", as nginx does).
 */
export function closeConnection(
  connection: Socket,
  linger: boolean,
  { unreadBytes = 0, sendTimeoutMs = SEND_TIMEOUT_MS } = {},
): void {
  if (connection.destroyed) return; // the client reset: nothing left to close
  if (linger) return lingeringClose(connection, unreadBytes);
  // A small write completes at once (the kernel copied it): nothing is left in Node's buffer.
  if (connection.writableLength === 0) return void connection.destroy();
  // A large one: wait for it, at most SEND_TIMEOUT_MS: a client that does not read is reset.
  destroyAfter(connection, sendTimeoutMs);
  connection.end().once('finish', () => connection.destroy());
}

/**
 * FIN now; read and drop until the client's FIN (then Node closes), LINGER_MS or LINGER_BYTES;
 * after a refused body of `unreadBytes` announced bytes, up to MAX_DISCARD_BYTES more of them
 * within MAX_DISCARD_MS, so that a client writing its whole body first still reads our answer.
 */
function lingeringClose(connection: Socket, unreadBytes: number): void {
  const discard = Math.min(unreadBytes, MAX_DISCARD_BYTES);
  const maxBytes = LINGER_BYTES + discard;
  let dropped = 0;
  destroyAfter(connection, discard > 0 ? MAX_DISCARD_MS : LINGER_MS);
  connection.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > maxBytes) connection.destroy();
  });
  connection.end().resume();
}

/** Destroys `connection` after `ms` ms, in all, unless it closed before. */
function destroyAfter(connection: Socket, ms: number): void {
  const stop = setTimeout(() => connection.destroy(), ms);
  connection.once('close', () => clearTimeout(stop));
}
// #endregion

/** Sends a short plain-text error response for `error` and closes, lingering. */
export function sendError(connection: Socket, error: HttpError, settings: HandlerSettings): void {
  const { head, body } = errorResponse(error, serverFields(settings), 'close');
  logLines(settings.log, '> ', head + body.toString('utf8'));
  if (connection.destroyed) return;
  connection.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  // A refused request may still be arriving: linger, and drop the body it announced.
  closeConnection(connection, true, { unreadBytes: error.unreadBytes });
}

/**
 * A short plain-text response for a refused request: `400 Bad Request: <reason>`,
 * with its Content-Length. The head is ISO-8859-1 text; the body is UTF-8 bytes.
 */
export function errorResponse(
  error: HttpError,
  defaults: Headers,
  connection?: string,
): { head: string; body: Buffer } {
  const body = Buffer.from(`${statusLine(error.code)}: ${error.message}\n`, 'utf8');
  const fields: Headers = [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(body.length)],
  ];
  return { head: responseHead(statusLine(error.code), fields, defaults, connection), body };
}

/** The fields the server adds unless the application sent them: Date (RFC 9110 §6.6.1), Server. */
function serverFields(settings: HandlerSettings): Headers {
  return [
    ['Date', settings.date()],
    ['Server', SERVER_SOFTWARE],
  ];
}

/**
 * A Date field source over `clock` that formats once per second, as node:http
 * does: every response in that second shares the text. One per server.
 */
export function dateSource(clock: () => Date): () => string {
  let second = NaN;
  let text = '';
  return () => {
    const now = clock();
    const nowSecond = Math.floor(now.getTime() / 1000);
    if (nowSecond !== second) [second, text] = [nowSecond, httpDate(now)];
    return text;
  };
}

/** Logs `text` one line at a time behind `prefix`, as curl -v shows a conversation. */
export function logLines(
  log: ((line: string) => void) | undefined,
  prefix: string,
  text: string,
): void {
  if (!log) return;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) log(`${prefix}${line}`.replace(/[ \t]+$/, '')); // SP and HTAB only
}

/** After a failure: a 500 while the head has not gone out, else a reset (RST). */
export function handleError(handler: ResponseHandler, error: unknown): void {
  const { connection, request, settings } = handler;
  if (connection.destroyed) return; // the client is gone; nobody to answer
  reportError(settings.errors, error, request);
  if (!handler.headersSent) {
    sendError(
      connection,
      new HttpError(500, 'the application failed; the server log says why'),
      settings,
    );
  } else {
    // Too late for a 500: the status line is out. Reset the connection, so the
    // client sees an error instead of a body that looks complete.
    connection.resetAndDestroy();
  }
}

function reportError(errors: (text: string) => void, error: unknown, request: Request): void {
  const where = `${request.method} ${request.target}`;
  if (error instanceof InterfaceError) errors(`${where}: ${error.message}\n`);
  else errors(`${where}: the application raised ${(error as Error)?.stack ?? String(error)}\n`);
}

// #region close-body
/**
 * PEP 3333: call the body's close() if it has one, whatever happened; a failing close() is logged.
 */
export function closeBody(body: Body | undefined, errors: (text: string) => void): void {
  if (body === undefined || body === null || typeof body.close !== 'function') return;
  try {
    body.close();
  } catch (error) {
    errors(
      `close() of the application's body failed: ${(error as Error).stack ?? String(error)}\n`,
    );
  }
}
// #endregion

/** Fills in the defaults; settings that already have them are returned as they are. */
export function withDefaults<T extends Partial<HandlerSettings> & { clock?: () => Date }>(
  options: T,
): T & HandlerSettings {
  if (options.errors && options.date) return options as T & HandlerSettings;
  return {
    ...options,
    errors: options.errors ?? ((text: string) => process.stderr.write(text)),
    date: options.date ?? dateSource(options.clock ?? (() => new Date())),
  };
}
