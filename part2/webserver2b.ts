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
import { createServer, type Server, type Socket } from 'node:net';
import { isProgram } from '../part1/cli.ts';
import { explainListenError } from '../part1/connection.ts';
import {
  checkBody,
  checkChunk,
  createErrorStream,
  createInputStream,
  InterfaceError,
  type Application,
  type Body,
  type Environ,
  type Headers,
} from './gateway.ts';
import {
  closeBody,
  closeConnection,
  handleError,
  logLines,
  ResponseHandler,
  sendError,
  withDefaults,
  type HandlerSettings,
} from './handler.ts';
import { RequestDeadline, RequestDecoder, type Deadlines } from './decoder.ts';
import { CONTINUE, HttpError, stripOws, type Limits, type Request } from './http.ts';
import { DEFAULT_HOST, loadApplication, parseOptions } from './loader.ts';

// #region limits
/** Largest request head (request line and fields) we accept, in bytes; more gets 431. 8 KiB. */
export const MAX_HEAD_BYTES = 8 * 1024;
/** Largest request body, in bytes; more gets 413. wsgi.input reads a body that has arrived. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How long a client may be silent while sending its request, in ms; then 408. People type.
 * Each byte starts it again: decoder.ts's HEAD_TIMEOUT_MS bounds a head in all.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
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

/** How a server behaves; every field has a default. */
export interface ServerOptions extends Deadlines {
  /** Where the `< ` / `> ` request and response lines go. Omit for --quiet. */
  log?: (line: string) => void;
  /** `wsgi.errors`: where application errors and interface violations go. Default: stderr. */
  errors?: (text: string) => void;
  /** The clock behind the Date header. Tests fix it so responses are byte-for-byte repeatable. */
  clock?: () => Date;
  /** The Date field's value. Default: the clock's time; makeServer formats it once a second. */
  date?: () => string;
  /** SERVER_NAME in environ. Default: the host we listen on. */
  serverName?: string;
  /** SERVER_PORT in environ. Default: the port we listen on. */
  serverPort?: string;
  /** `wsgi.multiprocess`: Part 3's forking servers set it. Default false. */
  multiprocess?: boolean;
  requestTimeoutMs?: number;
  /** handler.ts's SEND_TIMEOUT_MS. */
  sendTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  maxRequestsPerConnection?: number;
  maxHeadBytes?: number;
  maxBodyBytes?: number;
}

// #region serve-forever
/**
 * Creates the server (wsgiref's make_server): a listening socket whose every
 * accepted connection is served by {@link handleConnection}. Call
 * {@link serveForever} (or `server.listen(port, host)`) to start; Node's event
 * loop is the accept loop, so one slow client does not hold up the others.
 */
export function makeServer(app: Application, options: ServerOptions = {}): Server {
  // allowHalfOpen: a client that shuts down its sending side can still read our answer.
  // noDelay: switch off Nagle's algorithm, or a small body written right after the head
  // waits for the client's delayed ACK (node:http does the same).
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  let settings = withDefaults(options);
  server.on('listening', () => {
    const address = server.address(); // once, not per connection: a system call (getsockname)
    const port = typeof address === 'object' && address ? String(address.port) : '';
    settings = { serverPort: port, ...settings };
  });
  const readers = new Set<RequestReader>(); // this server's connections, for a graceful close
  server.on(
    'connection',
    (connection) => void handleConnection(connection, app, settings, readers),
  );
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

/** Listens on `host`:`port` and says so; on failure, says why in one line and exits. */
export function serveForever(server: Server, port: number, host: string): void {
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(explainListenError(error, port, host));
    process.exit(1);
  });
  server.listen(port, host, () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    console.log(`GatewayServer: Serving HTTP on port ${actual} ...`);
  });
}
// #endregion

// #region handle-connection
/**
 * Serves one connection: request after request, each answered before the next
 * is read, until one of them is the last (RFC 9112 §9.3). Resolves when the
 * connection is finished with; never rejects.
 */
export async function handleConnection(
  connection: Socket,
  app: Application,
  options: ServerOptions = {},
  readers = new Set<RequestReader>(),
): Promise<void> {
  const settings = withDefaults(options);
  // Clients vanish mid-request from time to time (a closed tab, Ctrl-C): that
  // ends this connection, never the server. One line in the log says so.
  connection.on('error', (error: NodeJS.ErrnoException) => {
    const reason = error.code ?? error.message;
    settings.log?.(`! ${connection.remoteAddress}: ${reason}, connection dropped`);
  });
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
  settings: ServerOptions & HandlerSettings,
  persistent: boolean,
): Promise<void> {
  logLines(settings.log, '< ', request.head);
  const handler = new ResponseHandler(connection, request, settings, persistent);
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
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
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

// #region get-environ
/**
 * Builds environ from a request (PEP 3333 "environ Variables").
 *
 * The aligned `key: value, // sample` layout bends the house style on purpose:
 * it lets you read environ as the table the PEP prints.
 */
export function getEnviron(
  request: Request,
  connection: Socket,
  options: ServerOptions,
  errors: (text: string) => void,
): Environ {
  const { path, query } = splitTarget(request.target);
  // A teaching layout, so the formatter leaves it alone: aligned as the table PEP 3333 prints.
  // prettier-ignore
  const environ: Environ = {
    REQUEST_METHOD:      request.method,                          // GET
    SCRIPT_NAME:         '',                                      // mounted at the root
    PATH_INFO:           percentDecode(path),                     // /hello
    QUERY_STRING:        query,                                   // name=world
    CONTENT_TYPE:        '',                                      // text/plain, from the fields
    CONTENT_LENGTH:      '',                                      // 5, from the fields
    SERVER_NAME:         options.serverName ?? DEFAULT_HOST,      // localhost
    SERVER_PORT:         options.serverPort ?? '',                // 8888
    SERVER_PROTOCOL:     request.version,                         // HTTP/1.1
    REMOTE_ADDR:         connection.remoteAddress ?? '',          // 127.0.0.1
    'wsgi.version':      [1, 0],
    'wsgi.url_scheme':   'http',
    'wsgi.input':        createInputStream(request.body),
    'wsgi.errors':       createErrorStream(errors),
    'wsgi.multithread':  false,                                   // one thread: Node's event loop
    'wsgi.multiprocess': options.multiprocess ?? false,           // Part 3 forks
    'wsgi.run_once':     false,
  };
  addHeaderFields(environ, request.headers);
  // RFC 9112 §3.2.2: with an absolute-form target, its authority replaces the Host field.
  const authority = /^https?:\/\/([^/?#]*)/i.exec(request.target);
  if (authority) environ.HTTP_HOST = authority[1]!;
  return environ;
}

/** Adds the request's header fields to environ: `User-Agent` as HTTP_USER_AGENT (PEP 3333, CGI). */
function addHeaderFields(environ: Environ, headers: Headers): void {
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    // CGI gives these two their own keys, without HTTP_ (RFC 3875 §4.1.2, §4.1.3).
    if (lower === 'content-type' || lower === 'content-length') {
      const key = lower === 'content-type' ? 'CONTENT_TYPE' : 'CONTENT_LENGTH';
      environ[key] = environ[key] ? `${environ[key]},${value}` : value;
      continue;
    }
    // '_' names would collide with '-' ones once converted (X_User, X-User); drop them, as nginx
    // does.
    if (name.includes('_')) continue;
    const key = `HTTP_${name.toUpperCase().replaceAll('-', '_')}` as const;
    // RFC 9110 §5.3: repeated fields join with commas; cookies with '; ' (RFC 6265 §5.4).
    const separator = lower === 'cookie' ? '; ' : ',';
    environ[key] = key in environ ? `${environ[key]}${separator}${value}` : value;
  }
}
// #endregion

/**
 * Splits a request target into path and query (RFC 9112 §3.2); absolute-form loses its authority.
 */
export function splitTarget(target: string): { path: string; query: string } {
  let rest = target;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length) || '/';
  const mark = rest.indexOf('?');
  if (mark === -1) return { path: rest, query: '' };
  return { path: rest.slice(0, mark), query: rest.slice(mark + 1) };
}

/** Turns %XX into the byte XX, each byte one character (PEP 3333: ISO-8859-1); bad escapes stay. */
export function percentDecode(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
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
    const full = sendChunk(handler, chunk);
    if (full) await full;
  }
  if (!chunks) {
    for await (const chunk of body) {
      const full = sendChunk(handler, chunk);
      if (full) await full;
      if (handler.connection.destroyed) break; // the client left: stop asking the app for more
    }
  }
  if (handler.status === undefined) {
    throw new InterfaceError('PEP 3333: the application returned without calling start_response');
  }
  handler.close();
}

/** Sends one chunk of the body; a promise when we must wait for 'drain'. */
function sendChunk(handler: ResponseHandler, chunk: unknown): Promise<void> | undefined {
  checkChunk(chunk);
  if (chunk.length === 0) return undefined; // PEP 3333: an empty chunk must not send the headers
  if (handler.status === undefined) {
    throw new InterfaceError(
      'PEP 3333: the application yielded body bytes before calling start_response',
    );
  }
  return handler.send(chunk);
}
// #endregion

// #region main
async function main(): Promise<void> {
  let options;
  let app;
  try {
    options = parseOptions(process.argv.slice(2));
    app = await loadApplication(options.spec);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const { port, host, quiet } = options;
  if (host === '0.0.0.0' || host === '::') {
    console.error(
      `Warning: listening on every network interface (${host}): ` +
        'anyone who can reach this machine can connect.',
    );
  }
  const log = quiet ? {} : { log: (line: string) => console.log(line) };
  serveForever(makeServer(app, { serverName: host, ...log }), port, host);
}
// #endregion

// Run the server only when this file is the program, not when a test or Part 3 imports it.
if (isProgram('webserver2b')) {
  await main();
}
