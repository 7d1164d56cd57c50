/**
 * Part 2b: the gateway server of webserver2.ts with persistent connections
 * (RFC 9112 §9.3), as HTTP/1.1 has them by default and every browser uses.
 *
 * Changed since webserver2.ts: a connection is not closed after its response.
 * Per connection: read a request, answer it, read the next one, until the
 * client says `Connection: close` (HTTP/1.0: unless it said `keep-alive`), the
 * connection stays idle too long, or it has carried its maximum of requests.
 * Requests that arrive before their predecessors are answered (pipelining) wait
 * their turn and are answered in order. A response whose length the
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

/** Reads request after request, refusing a bad one; answers each, until one is the last. */
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
  for (let served = 0; served < maxRequests; served++) {
    let request: Request;
    try {
      request = await reader.readRequest(served === 0);
    } catch (error) {
      if (error instanceof HttpError) sendError(connection, error, settings);
      else if (!connection.destroyed) closeConnection(connection, false); // idle, or a FIN
      return;
    }
    const persistent = served + 1 < maxRequests && !reader.closing && wantsPersistent(request);
    if (!persistent) reader.stop(); // the handler reads (and drops) what still comes
    await handleOneRequest(connection, request, app, settings, persistent);
    if (connection.writableEnded || connection.destroyed) return; // closed after its response
  }
}
// #endregion

// #region handle-one-request
/** Answers one request on a connection; `persistent`: leave the connection open after it. */
export async function handleOneRequest(
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
  await runApplication(app, environ, handler);
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
 * Reads the requests of one connection, one after another, however their
 * bytes arrive: the {@link RequestDecoder} of decoder.ts says where a request
 * ends, and what follows it starts the next one. A pipelining client sends
 * several before it reads an answer (RFC 9112 §9.3.2); they wait here, in
 * order, and the socket is paused meanwhile, so one client cannot fill our
 * memory with requests we have not answered yet.
 */
export class RequestReader {
  private decoder: RequestDecoder;
  private readonly ready: Array<Request | Error> = []; // read ahead, in order
  private waiting: ((outcome: Request | Error) => void) | undefined;
  private idle = true; // no byte of the next request yet
  private continueDue = false;
  /** The server is closing: no request after the one under way. */
  closing = false;
  private quietIfIdle = false; // on a timeout: close quietly if idle (not the first request)
  private timeoutMs = 0;
  private readonly limits: Limits;
  // A total deadline for each head and body, running only while a request is awaited: a
  // pipelined request that waits its turn is not the client's delay.
  private readonly deadline: RequestDeadline;
  private readonly onData = (chunk: Buffer) => this.push(chunk);
  private readonly onEnd = () => this.settle(this.decoder.end()); // a half-close
  private readonly onClose = () => this.settle(new Error('the client went away'));

  constructor(
    private readonly connection: Socket,
    private readonly options: ServerOptions,
  ) {
    const maxHeadBytes = options.maxHeadBytes ?? MAX_HEAD_BYTES;
    this.limits = { maxHeadBytes, maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES };
    this.decoder = new RequestDecoder(this.limits);
    this.deadline = new RequestDeadline(options, (error) => this.refuse(error));
    connection.on('data', this.onData);
    connection.on('end', this.onEnd);
    connection.on('close', this.onClose);
    // One listener for the connection's life: setTimeout(ms, callback) would add one per request.
    connection.on('timeout', () => this.onTimeout());
  }

  /**
   * The next request, once it is whole. The first may take REQUEST_TIMEOUT_MS (people type);
   * between two requests the connection may idle KEEP_ALIVE_TIMEOUT_MS, then closes quietly.
   * @throws HttpError for a request to refuse (400, 408, 413, 431, 501, 505); a plain Error
   *   when the client closed, or went idle too long.
   */
  readRequest(first: boolean): Promise<Request> {
    const outcome = this.ready.shift();
    if (this.ready.length === 0 && this.connection.isPaused()) this.connection.resume();
    if (outcome !== undefined) {
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    }
    if (this.closing && this.idle) return Promise.reject(new Error('the server is closing'));
    if (this.continueDue) this.connection.write(CONTINUE); // RFC 9110 §10.1.1, now its turn
    this.continueDue = false;
    const { requestTimeoutMs = REQUEST_TIMEOUT_MS, keepAliveTimeoutMs = KEEP_ALIVE_TIMEOUT_MS } =
      this.options;
    const timeoutMs = first || !this.idle ? requestTimeoutMs : keepAliveTimeoutMs;
    this.quietIfIdle = !first;
    // The timer stays armed while a response is made (onTimeout ignores it then); set it only
    // when its length changes: re-arming it twice a request showed in the profile.
    if (timeoutMs !== this.timeoutMs) this.connection.setTimeout(timeoutMs);
    this.timeoutMs = timeoutMs;
    return new Promise((resolve, reject) => {
      this.waiting = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
      this.deadline.follow(this.decoder); // bytes of this request may have come already
    });
  }

  private onTimeout(): void {
    if (!this.waiting) return; // a response is being made: not idle, only slow
    const timeoutMs = this.timeoutMs;
    if (this.idle && this.quietIfIdle) this.settle(new Error(`idle for ${timeoutMs} ms`));
    else this.settle(new HttpError(408, `no complete request after ${timeoutMs} ms`));
  }

  /** The server is closing: end the connection now if it waits idle, else after its response. */
  closeWhenIdle(): void {
    this.closing = true;
    if (this.waiting && this.idle) this.settle(new Error('the server is closing'));
  }

  /** Stops reading: the connection closes after the response being made. */
  stop(): void {
    this.deadline.clear();
    this.connection.off('data', this.onData);
    this.connection.off('end', this.onEnd);
    this.connection.off('close', this.onClose);
    this.connection.resume();
  }

  private push(chunk: Buffer): void {
    this.idle = false;
    try {
      for (let request = this.decoder.push(chunk); request; request = this.decoder.push(chunk)) {
        chunk = this.decoder.rest; // the start of the next request, if any
        this.decoder = new RequestDecoder(this.limits);
        this.continueDue = false; // its body came without waiting for 100 Continue
        this.idle = chunk.length === 0;
        this.settle(request);
        if (chunk.length === 0) break;
      }
      if (this.waiting) this.deadline.follow(this.decoder);
      // RFC 9110 §10.1.1: the client waits for 100 Continue; it goes out at once if no response
      // is being made, else after that response (readRequest), never in its middle.
      if (this.decoder.takeContinue()) {
        if (this.waiting) this.connection.write(CONTINUE);
        else this.continueDue = true;
      }
    } catch (error) {
      this.refuse(error as Error);
    }
  }

  /** A request we refuse: nothing after it is read as a request. */
  private refuse(error: Error): void {
    this.stop();
    this.settle(error);
  }

  /** Hands a request (or why there is none) to whoever waits, else keeps it, in order. */
  private settle(outcome: Request | Error): void {
    const waiting = this.waiting;
    if (waiting) {
      this.deadline.clear();
      this.waiting = undefined;
      waiting(outcome);
    } else {
      this.ready.push(outcome);
      if (!(outcome instanceof Error)) this.connection.pause(); // enough read ahead
    }
  }
}
// #endregion

// Run the server only when this file is the program, not when a test or Part 3 imports it.
if (isProgram('webserver2b')) {
  await main(makeServer);
}
