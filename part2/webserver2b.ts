/**
 * Part 2b: the gateway server of webserver2.ts with persistent connections
 * (RFC 9112 §9.3), as HTTP/1.1 has them by default and every browser uses.
 *
 * Changed since webserver2.ts: a connection is not closed after its response.
 * Per connection: read a request, answer it, read the next one, until the
 * client says `Connection: close` (HTTP/1.0: unless it said `keep-alive`), the
 * connection stays idle too long, or it has carried its maximum of requests.
 * Requests that arrive before their predecessors are answered (pipelining) wait
 * their turn in the socket's buffer, as the reader reads only between two
 * responses, and are answered in order. A response whose length the
 * application does not give goes out chunked (HTTP/1.1) or ends with the
 * close (HTTP/1.0). A refused request (4xx) still ends the connection.
 *
 * Run it:    npm run part2b -- hello           (the same APP specs and options as part2)
 * See it:    npm run telnet -- localhost 8888  then send two requests, one after the other
 * Options:   --port N (8888)  --host H (localhost)  --quiet (no request/response log)
 */
import type { Server, Socket } from 'node:net';
import { isProgram } from '../part1/cli.ts';
import type { Application } from './gateway.ts';
import { getEnviron } from './environ.ts';
import {
  closeConnection,
  logLines,
  ResponseHandler,
  runApplication,
  sendError,
  withDefaults,
} from './handler.ts';
import { RequestDeadline, RequestDecoder } from './decoder.ts';
import { CONTINUE, HttpError, isField, stripOws, type Limits, type Request } from './http.ts';
import { guardConnection, listenForConnections, main, type ServerOptions } from './server.ts';
import { MAX_BODY_BYTES, MAX_HEAD_BYTES, REQUEST_TIMEOUT_MS, type Settings } from './server.ts';

// #region limits
/**
 * How long a connection may sit idle between two requests, in ms; then we close it quietly
 * (RFC 9112 §9.5). An idle connection holds a descriptor and memory here, and a whole child
 * process in a process-per-connection server (3h); browsers keep theirs open for minutes.
 * 15 s is long enough for a person at telnet to start the next request, short enough to free
 * what an abandoned tab holds (Apache says 5 s, nginx 75 s, node:http 5 s).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 15_000;
/**
 * Requests one connection may carry; the last response says `Connection: close`. A bound on
 * how long one client can keep the server's attention and whatever a connection accumulates;
 * 1000 is nginx's keepalive_requests: high enough that a client hardly ever reconnects.
 */
export const MAX_REQUESTS_PER_CONNECTION = 1000;
// #endregion

// #region make-server
/**
 * Creates the server (wsgiref's make_server): a listening socket whose every
 * accepted connection is served by {@link handleConnection}. Call
 * serveForever (server.ts; or `server.listen(port, host)`) to start; Node's event
 * loop is the accept loop, so one slow client does not hold up the others.
 */
export function makeServer(app: Application, options: ServerOptions = {}): Server {
  const readers = new Set<RequestReader>(); // this server's connections, for a graceful close
  const server = listenForConnections(options, (connection, settings) => {
    void handleConnection(connection, app, settings, readers);
  });
  // Node docs, server.close(): stop accepting, wait for every connection to end. An idle
  // persistent connection would hold that wait (3i's drain on SIGTERM) until its timeout; end
  // the idle ones now and the busy ones after their response, as node:http's close() does.
  const close = server.close.bind(server);
  server.close = (callback) => {
    for (const reader of readers) reader.closeWhenIdle();
    return close(callback);
  };
  return server;
}
// #endregion

// #region handle-connection
/**
 * Serves one connection: request after request, each answered before the next
 * is read, until one of them is the last (RFC 9112 §9.3). Resolves when the
 * connection is finished with; never rejects.
 */
export function handleConnection(
  connection: Socket,
  app: Application,
  options: ServerOptions = {},
  readers = new Set<RequestReader>(),
): Promise<void> {
  const settings = withDefaults(options);
  return guardConnection(connection, settings, () =>
    serveRequests(connection, app, settings, readers),
  );
}

/** For each request on the connection: answer it, until one is the last; refuse a bad one. */
async function serveRequests(
  connection: Socket,
  app: Application,
  settings: Settings,
  readers: Set<RequestReader>,
) {
  const reader = new RequestReader(connection, settings);
  readers.add(reader);
  connection.once('close', () => readers.delete(reader));
  const maxRequests = settings.maxRequestsPerConnection ?? MAX_REQUESTS_PER_CONNECTION;
  let request: Request | undefined;
  try {
    while ((request = await reader.next()) !== undefined) {
      const persistent = reader.served < maxRequests && !reader.closing && wantsPersistent(request);
      if (!persistent) reader.stop(); // the handler reads (and drops) what still comes
      await handleOneRequest(connection, request, app, settings, persistent);
      if (connection.writableEnded || connection.destroyed) return; // closed after its response
    }
  } catch (error) {
    if (!(error instanceof HttpError)) throw error; // not the client's doing: guardConnection's
    return sendError(connection, error, settings);
  }
  if (!connection.destroyed) closeConnection(connection, false); // idle, closing, or a FIN
}
// #endregion

// #region handle-one-request
/**
 * Answers one request on a connection; `persistent`: leave the connection open after it. Not
 * `async`: it returns runApplication's promise, one promise a request fewer (node --cpu-prof).
 */
export function handleOneRequest(
  connection: Socket,
  request: Request,
  app: Application,
  settings: Settings,
  persistent: boolean,
): Promise<void> {
  logLines(settings.log, '< ', request.head);
  const idleTimeoutMs = settings.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
  const handler = new ResponseHandler(connection, request, settings, { persistent, idleTimeoutMs });
  const environ = getEnviron(request, connection, settings, settings.errors);
  return runApplication(app, environ, handler);
}

/**
 * RFC 9112 §9.3: an HTTP/1.1 connection persists unless `Connection: close`;
 * an HTTP/1.0 one only with `Connection: keep-alive` (RFC 9112 §C.2.2). A head ended by bare LFs
 * does not: where it ends frames the next request, and a front that reads bare LF otherwise would
 * split the stream elsewhere (http.ts checkBareLf).
 */
export function wantsPersistent(request: Request): boolean {
  if (request.bareLf) return false;
  let keepAlive = false;
  for (const [name, value] of request.headers) {
    if (!isField(name, 'connection')) continue;
    for (const option of value.toLowerCase().split(',')) {
      if (stripOws(option) === 'close') return false;
      if (stripOws(option) === 'keep-alive') keepAlive = true;
    }
  }
  return request.version === 'HTTP/1.1' || keepAlive;
}
// #endregion

// #region read-request
/**
 * The requests of one connection, one after another, as a worker pulls them (gunicorn's parser
 * is an iterator): next() reads the socket until the {@link RequestDecoder} of decoder.ts says a
 * request is whole; what follows it starts the next one. The socket stays in paused mode (Node
 * docs, "Two reading modes"): we read only while no response is being made, so a pipelining
 * client (RFC 9112 §9.3.2) is answered in order, and what it sends meanwhile waits in Node's
 * buffer, which stops reading from the kernel once it holds highWaterMark bytes: it cannot
 * fill our memory with requests we have not answered yet.
 */
export class RequestReader {
  /** Requests handed out so far. */
  served = 0;
  /** The server is closing: no request after the one under way. */
  closing = false;
  private decoder: RequestDecoder;
  private rest: Buffer | null = null; // read past the last request: the next one's start
  private answering = false; // a request is handed out and not yet answered
  private stopped = false; // no request after the one under way
  private silent = false; // the socket's 'timeout' came: silent for timeoutMs
  private timeoutMs = 0; // the silence the connection is allowed now (setTimeout)
  private late: HttpError | undefined; // the request's total deadline passed
  private readonly limits: Limits;
  private readonly deadline: RequestDeadline;

  constructor(
    private readonly connection: Socket,
    private readonly options: ServerOptions,
  ) {
    const maxHeadBytes = options.maxHeadBytes ?? MAX_HEAD_BYTES;
    this.limits = { maxHeadBytes, maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES };
    this.decoder = new RequestDecoder(this.limits);
    // A total deadline for each head and body: a trickle cannot stretch them (decoder.ts).
    this.deadline = new RequestDeadline(options, (error) => this.onDeadline(error));
    // After a refusal or a reset nothing reads on: the deadline's timer goes with the connection.
    connection.once('close', () => this.deadline.clear());
    // One listener for the connection's life: setTimeout(ms, callback) would add one per request.
    connection.on('timeout', () => (this.silent = true));
  }

  // #region next-request
  /**
   * The next request, once it is whole; undefined when there is none to answer: the client
   * closed, went idle too long, or the server is closing.
   * @throws HttpError for a request to refuse (400, 408, 413, 431, 501, 505)
   */
  async next(): Promise<Request | undefined> {
    this.awaitRequest();
    while (!this.stopped) {
      const chunk: Buffer | null = this.rest ?? this.connection.read();
      this.rest = null;
      if (chunk !== null) {
        const request = this.push(chunk);
        if (request) return request;
      } else if (this.connection.readableEnded || this.connection.destroyed) {
        return this.ended();
      } else {
        this.deadline.follow(this.decoder); // bytes of this request may have come already
        await socketNews(this.connection);
        this.checkSilence();
      }
    }
    return undefined;
  }
  // #endregion

  /** Adds bytes to the request under way; the request once it is whole. */
  private push(chunk: Buffer): Request | undefined {
    const request = this.decoder.push(chunk);
    this.continueIfAsked();
    if (!request) return undefined;
    if (this.decoder.rest.length > 0) this.rest = this.decoder.rest;
    this.decoder = new RequestDecoder(this.limits);
    this.deadline.clear();
    this.served += 1;
    this.answering = true;
    return request;
  }

  /**
   * RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` waits for 100 Continue before its
   * body. We read only between responses, so it never goes out in the middle of one.
   */
  private continueIfAsked(): void {
    if (this.decoder.takeContinue()) this.connection.write(CONTINUE);
  }

  /**
   * The silence allowed while we wait for a request: the first, or one under way, may take
   * REQUEST_TIMEOUT_MS (people type); between two requests the connection may idle
   * KEEP_ALIVE_TIMEOUT_MS, then closes quietly (RFC 9112 §9.5). Set only when its length
   * changes: re-arming the socket's timer twice a request showed in the profile.
   */
  private awaitRequest(): void {
    this.answering = false;
    this.silent = false;
    if (this.closing && this.idle()) this.stopped = true;
    const { requestTimeoutMs = REQUEST_TIMEOUT_MS, keepAliveTimeoutMs = KEEP_ALIVE_TIMEOUT_MS } =
      this.options;
    const timeoutMs = this.served === 0 || !this.idle() ? requestTimeoutMs : keepAliveTimeoutMs;
    if (timeoutMs !== this.timeoutMs) this.connection.setTimeout(timeoutMs);
    this.timeoutMs = timeoutMs;
  }

  /** After a wait: too late, or silent too long? Idle between two requests, a quiet close. */
  private checkSilence(): void {
    if (this.late) throw this.late;
    if (!this.silent) return;
    if (this.served > 0 && this.idle()) this.stopped = true;
    else throw new HttpError(408, `no complete request after ${this.timeoutMs} ms`);
  }

  /**
   * The total deadline of the request under way passed: a silence too long for this request, so
   * it wakes a waiting next() as the socket's own 'timeout' does, and next() refuses it (408).
   */
  private onDeadline(error: HttpError): void {
    this.late = error;
    this.connection.emit('timeout');
  }

  /** The client stopped sending (a half-close) or went away: mid-request, a 400 if it can hear. */
  private ended(): undefined {
    const broken = this.decoder.end();
    if (broken instanceof HttpError && !this.connection.destroyed) throw broken;
    return undefined;
  }

  /** No byte of the next request has come yet. */
  private idle(): boolean {
    return (
      this.rest === null && this.decoder.stage === 'none' && this.connection.readableLength === 0
    );
  }

  /** The server is closing: end the connection now if it waits idle, else after its response. */
  closeWhenIdle(): void {
    this.closing = true;
    // Its 'close' wakes the waiting next(), which finds the connection gone.
    if (!this.answering && this.idle()) closeConnection(this.connection, false);
  }

  /**
   * Stops reading: no request after the one under way. What still comes flows on to the
   * handler, which reads and drops it before the close.
   */
  stop(): void {
    this.stopped = true;
    this.deadline.clear();
    this.connection.resume();
  }
}

/** What ends a wait for bytes: bytes to read, their end, the close, or a silence. */
const NEWS = ['readable', 'end', 'close', 'timeout'] as const;

/**
 * Resolves at the socket's next news (NEWS): one small promise a wait, its listeners removed
 * when it comes. Node's 'readable' (paused mode) says bytes wait to be read().
 */
function socketNews(connection: Socket): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      for (const event of NEWS) connection.off(event, wake);
      resolve();
    };
    for (const event of NEWS) connection.on(event, wake);
  });
}
// #endregion

// Run the server only when this file is the program, not when a test or Part 3 imports it.
if (isProgram('webserver2b')) {
  await main(makeServer);
}
