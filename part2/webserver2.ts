/**
 * Part 2: a gateway server. It runs any application that speaks the gateway
 * interface of gateway.ts (PEP 3333 in TypeScript), without changing a line
 * of the server: a hand-written app, a middleware stack, or a real framework.
 *
 * The TypeScript rendition of lsbaws part2/webserver2.py. Per connection:
 * read the request (http.ts says what its bytes mean), build environ, call the
 * application, send the status line, headers and body, close. Bad input gets
 * a 4xx and a one-line reason.
 *
 * Run it:    npm run part2 -- hello            (a module in part2/apps/, export `app`)
 *            npm run part2 -- part2/apps/router.ts:app
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
  handleError,
  logLines,
  ResponseHandler,
  sendError,
  withDefaults,
  type HandlerSettings,
} from './handler.ts';
import { RequestDeadline, RequestDecoder, type Deadlines } from './decoder.ts';
import { CONTINUE, HttpError, type Request } from './http.ts';
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
  maxHeadBytes?: number;
  maxBodyBytes?: number;
}

// #region make-server
/**
 * Creates the server (wsgiref's make_server): a listening socket whose every
 * accepted connection is served by {@link handleOneRequest}. Call
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
  server.on('connection', (connection) => void handleOneRequest(connection, app, settings));
  return server;
}
// #endregion

// #region serve-forever
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

// #region handle-one-request
/**
 * Serves one connection: one request, one response, then close.
 * Resolves when the connection is finished with; never rejects.
 */
export async function handleOneRequest(
  connection: Socket,
  app: Application,
  options: ServerOptions = {},
): Promise<void> {
  const settings = withDefaults(options);
  // Clients vanish mid-request from time to time (a closed tab, Ctrl-C): that
  // ends this connection, never the server. One line in the log says so.
  connection.on('error', (error: NodeJS.ErrnoException) => {
    const reason = error.code ?? error.message;
    settings.log?.(`! ${connection.remoteAddress}: ${reason}, connection dropped`);
  });
  try {
    await serveRequest(connection, app, settings);
  } catch (error) {
    // Not expected: every failure of a client or an app is answered inside. Should one
    // escape, it ends this connection only: an unhandled rejection would end the process.
    settings.errors(`handleOneRequest: ${(error as Error)?.stack ?? String(error)}\n`);
    connection.destroy();
  }
}

/** Reads the request, refusing a bad one; calls the application and sends its response. */
async function serveRequest(
  connection: Socket,
  app: Application,
  settings: ServerOptions & HandlerSettings,
): Promise<void> {
  let request: Request;
  try {
    request = await readRequest(connection, settings);
  } catch (error) {
    if (error instanceof HttpError) sendError(connection, error, settings);
    else connection.destroy(); // the client went away before sending a whole request
    return;
  }
  logLines(settings.log, '< ', request.head);
  const handler = new ResponseHandler(connection, request, settings);
  // Bytes read past the request (pipelined, or not HTTP at all): more may be on their way.
  handler.clientStillSending = connection.bytesRead > request.head.length + request.body.length;
  const environ = getEnviron(request, connection, settings, settings.errors);
  await runApplication(app, environ, handler);
}
// #endregion

// #region read-request
/**
 * Reads one request from the connection, however its bytes arrive: the
 * {@link RequestDecoder} of decoder.ts says when the request is whole. TCP is a
 * byte stream, so one read (the original's recv(1024)) may hold half a line.
 *
 * @throws HttpError for a request to refuse (400, 408, 413, 431, 501, 505);
 *   a plain Error when the client closes before sending anything.
 */
export function readRequest(connection: Socket, options: ServerOptions = {}): Promise<Request> {
  const maxHeadBytes = options.maxHeadBytes ?? MAX_HEAD_BYTES;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const decoder = new RequestDecoder({ maxHeadBytes, maxBodyBytes });
  const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // A total deadline for the head, then for the body: a trickle cannot stretch them.
    const deadline = new RequestDeadline(options, settle);
    function settle(outcome: Request | Error): void {
      connection.off('data', onData);
      connection.off('end', onEnd);
      connection.off('close', onClose);
      connection.setTimeout(0);
      deadline.clear();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }
    function onData(chunk: Buffer): void {
      let request: Request | undefined;
      try {
        request = decoder.push(chunk);
      } catch (error) {
        return settle(error as Error);
      }
      if (decoder.takeContinue()) connection.write(CONTINUE); // RFC 9110 §10.1.1
      if (request) settle(request);
      else deadline.follow(decoder);
    }
    const onEnd = () => settle(decoder.end()); // the client stopped sending (a half-close)
    const onClose = () => settle(new Error('the client went away'));
    connection.setTimeout(timeoutMs, () => {
      settle(new HttpError(408, `no complete request after ${timeoutMs} ms`));
    });
    connection.on('data', onData);
    connection.on('end', onEnd);
    connection.on('close', onClose);
  });
}
// #endregion

/**
 * Builds environ from a request (PEP 3333 "environ Variables").
 *
 * The aligned `key: value, // sample` layout bends the house style on purpose:
 * it lets you read environ as the table the PEP prints.
 */
// #region get-environ
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
// #endregion

// #region add-header-fields
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
 * the first non-empty chunk (or at the end, for an empty body), then close.
 * @throws InterfaceError when the body breaks PEP 3333; whatever iterating it throws.
 */
export async function finishResponse(handler: ResponseHandler, body: unknown): Promise<void> {
  checkBody(body);
  for await (const chunk of body) {
    checkChunk(chunk);
    if (chunk.length === 0) continue; // PEP 3333: an empty chunk must not send the headers
    if (handler.status === undefined) {
      throw new InterfaceError(
        'PEP 3333: the application yielded body bytes before calling start_response',
      );
    }
    if (handler.connection.destroyed) break; // the client left: stop asking the app for more
    const full = handler.send(chunk);
    if (full) await full;
  }
  if (handler.status === undefined) {
    throw new InterfaceError('PEP 3333: the application returned without calling start_response');
  }
  handler.close();
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
if (isProgram('webserver2')) {
  await main();
}
