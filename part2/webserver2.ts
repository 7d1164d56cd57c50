/**
 * Part 2: a gateway server. It runs any application that speaks the gateway
 * interface of gateway.ts (PEP 3333 in TypeScript), without changing a line
 * of the server: a hand-written app, a middleware stack, or a real framework.
 *
 * The TypeScript rendition of lsbaws part2/webserver2.py. Per connection:
 * read the request head (however it arrives), parse it, read the body by
 * Content-Length, build environ, call the application, send the status line,
 * headers and body, close. Bad input gets a 4xx and a one-line reason.
 *
 * Run it:    npm run part2 -- hello            (a module in part2/apps/, export `app`)
 *            npm run part2 -- part2/apps/router.ts:app
 * Options:   --port N (8888)  --host H (localhost)  --quiet (no request/response log)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  checkChunk,
  checkHeaders,
  checkStatus,
  createErrorStream,
  createInputStream,
  describe,
  InterfaceError,
  statusLine,
  TOKEN,
  type Application,
  type Body,
  type Environ,
  type Headers,
  type StartResponse,
  type Write,
} from './gateway.ts';

export const DEFAULT_PORT = 8888;
export const DEFAULT_HOST = 'localhost';
/** The Server header field we add when the application sends none. */
export const SERVER_SOFTWARE = 'GatewayServer/0.2';

// #region limits
/** Largest request head (request line + header fields) we accept, in bytes; more gets 431. 8 KiB, as most servers. */
export const MAX_HEAD_BYTES = 8 * 1024;
/** Largest request body we hold in memory, in bytes; more gets 413. wsgi.input reads a body that has fully arrived. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** How long a client may stay silent while sending its request, in ms; then 408. A person typing into telnet needs a while. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** After our response, how long we keep reading (and dropping) what the client still sends before closing, in ms (RFC 9112 §9.6). */
export const LINGER_MS = 2_000;
// #endregion

/** How a server behaves; every field has a default. */
export interface ServerOptions {
  /** Where the `< ` / `> ` request and response lines go. Omit for --quiet. */
  log?: (line: string) => void;
  /** `wsgi.errors`: where application errors and interface violations go. Default: stderr. */
  errors?: (text: string) => void;
  /** The clock behind the Date header. Tests fix it so responses are byte-for-byte repeatable. */
  clock?: () => Date;
  /** SERVER_NAME in environ. Default: the host we listen on. */
  serverName?: string;
  /** SERVER_PORT in environ. Default: the port we listen on. */
  serverPort?: string;
  /** `wsgi.multiprocess`: Part 3's forking servers set it. Default false. */
  multiprocess?: boolean;
  requestTimeoutMs?: number;
  maxHeadBytes?: number;
  maxBodyBytes?: number;
}

/** A parsed request, before it becomes environ. */
export interface Request {
  method: string; //          'GET'
  target: string; //          '/hello?name=x'
  version: string; //         'HTTP/1.1'
  headers: Headers; //        [['Host', 'localhost:8888'], ...] as sent, case kept
  body: Buffer; //            exactly Content-Length bytes
  head: string; //            the head as received, for the log
}

/** A request we refuse: the status code and a one-line reason for the client. */
export class HttpError extends Error {
  constructor(
    readonly code: number,
    reason: string,
  ) {
    super(reason);
  }
}

// #region serve-forever
/**
 * Creates the server (wsgiref's make_server): a listening socket whose every
 * accepted connection is served by {@link handleOneRequest}. Call
 * `server.listen(port, host)` to start; Node's event loop is the accept loop,
 * so one slow client does not hold up the others.
 */
export function makeServer(app: Application, options: ServerOptions = {}): Server {
  // allowHalfOpen: a client that shuts down its sending side can still read our answer.
  // noDelay: switch off Nagle's algorithm, or a small body written right after the head
  // waits for the client's delayed ACK (node:http does the same).
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  let settings = options;
  server.on('listening', () => {
    const address = server.address(); // once, not per connection: it is a system call (getsockname)
    settings = { serverPort: typeof address === 'object' && address ? String(address.port) : '', ...options };
  });
  server.on('connection', (connection) => void handleOneRequest(connection, app, settings));
  return server;
}
// #endregion

// #region handle-one-request
/**
 * Serves one connection: one request, one response, then close.
 * Resolves when the connection is finished with; never rejects.
 */
export async function handleOneRequest(connection: Socket, app: Application, options: ServerOptions = {}): Promise<void> {
  const errors = options.errors ?? ((text: string) => process.stderr.write(text));
  // Clients vanish mid-request from time to time (a closed tab, Ctrl-C): that
  // ends this connection, never the server. One line in the log says so.
  connection.on('error', (error: NodeJS.ErrnoException) => {
    options.log?.(`! ${connection.remoteAddress}: ${error.code ?? error.message}, connection dropped`);
  });
  let request: Request;
  try {
    request = await readRequest(connection, options);
  } catch (error) {
    if (error instanceof HttpError) sendError(connection, error, options);
    else connection.destroy(); // the client went away before sending a whole request
    return;
  }
  logLines(options.log, '< ', request.head);
  await runApplication(connection, app, request, options, errors);
}
// #endregion

// #region read-request
/**
 * Reads one request: the head up to its blank line, however it arrives (a
 * byte at a time from telnet, all at once from curl), then exactly
 * Content-Length bytes of body. TCP delivers a stream of bytes, not messages,
 * so one read (the original's recv(1024)) may hold half a line or two requests.
 *
 * @throws HttpError for a request to refuse (400, 408, 413, 431, 501, 505);
 *   a plain Error when the client closes before sending anything.
 */
export function readRequest(connection: Socket, options: ServerOptions = {}): Promise<Request> {
  const maxHeadBytes = options.maxHeadBytes ?? MAX_HEAD_BYTES;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0); // the head so far; bounded by maxHeadBytes
    let parsed: Omit<Request, 'body'> | undefined;
    let contentLength = 0;
    const body: Buffer[] = [];
    let bodyBytes = 0;

    function settle(outcome: Request | Error): void {
      connection.off('data', onData);
      connection.off('end', onEnd);
      connection.off('close', onClose);
      connection.setTimeout(0);
      // From now on, anything more the client sends is read and dropped, and remembered for finishResponse.
      connection.on('data', () => stillSending.add(connection));
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }

    function onData(chunk: Buffer): void {
      if (!parsed) {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        const end = endOfHead(received);
        if (end === -1 ? received.length > maxHeadBytes : end > maxHeadBytes) {
          return settle(new HttpError(431, `the request head is larger than ${maxHeadBytes} bytes`));
        }
        if (end === -1) return; // not yet: wait for more bytes
        try {
          parsed = parseRequest(received.subarray(0, end));
          contentLength = bodyLength(parsed.headers);
        } catch (error) {
          return settle(error as Error);
        }
        if (contentLength > maxBodyBytes) {
          return settle(new HttpError(413, `the request body is larger than ${maxBodyBytes} bytes`));
        }
        chunk = received.subarray(end); // what came after the head is the start of the body
        // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` waits for
        // this interim response before sending the body (curl waits 1 s).
        if (contentLength > chunk.length && expectsContinue(parsed)) connection.write('HTTP/1.1 100 Continue\r\n\r\n');
      }
      if (chunk.length > 0 && bodyBytes < contentLength) {
        const wanted = chunk.subarray(0, contentLength - bodyBytes);
        body.push(wanted);
        bodyBytes += wanted.length;
      }
      if (bodyBytes === contentLength) settle({ ...parsed, body: Buffer.concat(body) });
    }

    function onEnd(): void {
      // The client stopped sending (a half-close) before the request was whole.
      if (received.length === 0) return settle(new Error('the client closed without sending a request'));
      if (!parsed) return settle(new HttpError(400, 'the connection ended before the blank line that ends the request head'));
      settle(new HttpError(400, `the request body ended after ${bodyBytes} of the ${contentLength} bytes its Content-Length announced`));
    }

    function onClose(): void {
      settle(new Error('the client went away'));
    }

    connection.setTimeout(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, () => {
      settle(new HttpError(408, `no complete request after ${options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS} ms`));
    });
    connection.on('data', onData);
    connection.on('end', onEnd);
    connection.on('close', onClose);
  });
}
// #endregion

/**
 * Index just past the blank line that ends a request head, or -1 if it has not
 * arrived. A line ends with LF, optionally preceded by CR (RFC 9112 §2.2: a
 * recipient MAY accept a bare LF, which `nc` sends).
 */
export function endOfHead(bytes: Buffer): number {
  let start = 0;
  // RFC 9112 §2.2: ignore empty lines before the request line (some clients add a CRLF after a POST body).
  while (bytes[start] === 0x0a || (bytes[start] === 0x0d && bytes[start + 1] === 0x0a)) start += bytes[start] === 0x0a ? 1 : 2;
  for (let i = bytes.indexOf(0x0a, start); i !== -1; i = bytes.indexOf(0x0a, i + 1)) {
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

// #region parse-request
/**
 * Parses a complete request head (RFC 9112 §2-§5) into method, target,
 * version and header fields.
 * @throws HttpError 400 for a malformed request line or header field, 505 for an HTTP version other than 1.x.
 */
export function parseRequest(head: Buffer): Omit<Request, 'body'> {
  const text = head.toString('latin1'); // RFC 9112 §2.2: parse the head as octets, not as UTF-8
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  while (lines[0] === '') lines.shift(); // §2.2: empty lines before the request line
  while (lines.at(-1) === '') lines.pop(); // the blank line that ends the head
  if (lines.some((line) => line.includes('\r'))) throw new HttpError(400, 'a bare CR in the request head (RFC 9112 §2.2)');

  const requestLine = lines.shift() ?? '';
  const parts = /^([^ ]+) ([^ ]+) (HTTP\/\d\.\d)$/.exec(requestLine); // §3: method SP request-target SP HTTP-version
  if (!parts) {
    throw new HttpError(400, `malformed request line ${JSON.stringify(requestLine)}: expected METHOD SP TARGET SP HTTP/1.1 (RFC 9112 §3)`);
  }
  const [, method, target, version] = parts as unknown as [string, string, string, string];
  if (!TOKEN.test(method)) throw new HttpError(400, `the method ${JSON.stringify(method)} is not a token (RFC 9110 §9.1)`);
  if (!version.startsWith('HTTP/1.')) throw new HttpError(505, `this server speaks HTTP/1.0 and HTTP/1.1, not ${version}`);
  if (target === '*' && method === 'OPTIONS') {
    // §3.2.4: asterisk-form asks about the server as a whole, not a resource an application could answer for.
    throw new HttpError(501, 'OPTIONS * (asterisk-form, RFC 9112 §3.2.4) is not answered by this server');
  }
  // §3.2: origin-form (/path?query) or absolute-form (http://host/path).
  if (!(target.startsWith('/') || /^https?:\/\//i.test(target))) {
    throw new HttpError(400, `the request target ${JSON.stringify(target)} is not a path like /hello (RFC 9112 §3.2)`);
  }
  if (/[^\x21-\x7e]/.test(target)) throw new HttpError(400, 'the request target has a character that must be percent-encoded (RFC 3986 §2)');

  const headers: Headers = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      throw new HttpError(400, 'a header field folded onto a second line (obs-fold, RFC 9112 §5.2)');
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon === -1 || !TOKEN.test(name)) {
      // §5.1: no whitespace is allowed between the field name and the colon.
      throw new HttpError(400, `malformed header field ${JSON.stringify(line)}: expected Name: value (RFC 9112 §5.1)`);
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''); // §5.1: optional whitespace around the value
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new HttpError(400, `header field ${name} has a control character (RFC 9110 §5.5)`);
    headers.push([name, value]);
  }
  const hosts = headers.filter(([name]) => name.toLowerCase() === 'host');
  if (version === 'HTTP/1.1' && hosts.length !== 1) {
    // §3.2: a server MUST answer 400 to an HTTP/1.1 request without exactly one Host.
    throw new HttpError(400, `an HTTP/1.1 request needs exactly one Host header field, this one has ${hosts.length} (RFC 9112 §3.2)`);
  }
  // §3.2: ... or a Host whose value is not host[:port] (RFC 3986 §3.2.2); an app that rebuilds its URL from it could be misled.
  if (hosts.length > 0 && !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(:\d*)?$/.test(hosts[0]![1])) {
    throw new HttpError(400, `the Host header field ${JSON.stringify(hosts[0]![1])} is not a host[:port] (RFC 9112 §3.2)`);
  }
  return { method, target, version, headers, head: text };
}
// #endregion

// #region body-length
/**
 * The body's length in bytes from Content-Length (RFC 9112 §6.3); 0 without one.
 * @throws HttpError 400 for an invalid or conflicting Content-Length or one sent
 *   together with Transfer-Encoding; 501 for a Transfer-Encoding (we do not decode chunked).
 */
export function bodyLength(headers: Headers): number {
  const values = headers.filter(([name]) => name.toLowerCase() === 'content-length').flatMap(([, value]) => value.split(','));
  const encoding = headers.find(([name]) => name.toLowerCase() === 'transfer-encoding');
  if (encoding && values.length > 0) {
    // §6.3 item 3: both at once is how request smuggling starts; refuse it.
    throw new HttpError(400, 'a request must not have both Transfer-Encoding and Content-Length (RFC 9112 §6.3)');
  }
  if (encoding) {
    throw new HttpError(501, `Transfer-Encoding ${encoding[1]} is not supported here: send a Content-Length (RFC 9112 §6.1)`);
  }
  const lengths = new Set(values.map((value) => value.trim()));
  if (lengths.size === 0) return 0;
  const [length] = lengths;
  if (lengths.size > 1 || !/^\d{1,15}$/.test(length!)) {
    throw new HttpError(400, `invalid Content-Length ${JSON.stringify(values.join(','))} (RFC 9112 §6.3)`);
  }
  return Number(length);
}
// #endregion

function expectsContinue(request: Omit<Request, 'body'>): boolean {
  return (
    request.version === 'HTTP/1.1' &&
    request.headers.some(([name, value]) => name.toLowerCase() === 'expect' && value.toLowerCase() === '100-continue')
  );
}

// #region get-environ
/**
 * Builds environ from a request (PEP 3333 "environ Variables").
 *
 * The aligned `key: value, // sample` layout bends the house style on purpose:
 * it lets you read environ as the table the PEP prints.
 */
export function getEnviron(request: Request, connection: Socket, options: ServerOptions, errors: (text: string) => void): Environ {
  const { path, query } = splitTarget(request.target);
  const environ: Environ = {
    REQUEST_METHOD:      request.method,                          // GET
    SCRIPT_NAME:         '',                                      // mounted at the root
    PATH_INFO:           percentDecode(path),                     // /hello
    QUERY_STRING:        query,                                   // name=world
    CONTENT_TYPE:        '',                                      // text/plain, from the loop below
    CONTENT_LENGTH:      '',                                      // 5, from the loop below
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
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    // CGI gives these two their own keys, without HTTP_ (RFC 3875 §4.1.2, §4.1.3).
    if (lower === 'content-type' || lower === 'content-length') {
      const key = lower === 'content-type' ? 'CONTENT_TYPE' : 'CONTENT_LENGTH';
      environ[key] = environ[key] ? `${environ[key]},${value}` : value;
      continue;
    }
    // Names with '_' would collide with '-' ones once converted (X_User vs X-User); drop them, as nginx does.
    if (name.includes('_')) continue;
    const key = `HTTP_${name.toUpperCase().replaceAll('-', '_')}` as const;
    // RFC 9110 §5.3: repeated fields join with commas; cookies with '; ' (RFC 6265 §5.4).
    const separator = lower === 'cookie' ? '; ' : ',';
    environ[key] = key in environ ? `${environ[key]}${separator}${value}` : value;
  }
  // RFC 9112 §3.2.2: with an absolute-form target, its authority replaces the Host field.
  const authority = /^https?:\/\/([^/?#]*)/i.exec(request.target);
  if (authority) environ.HTTP_HOST = authority[1]!;
  return environ;
}
// #endregion

/** Splits a request target into its path and query (RFC 9112 §3.2); an absolute-form target loses its scheme and authority. */
export function splitTarget(target: string): { path: string; query: string } {
  let rest = target;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length) || '/';
  const mark = rest.indexOf('?');
  return mark === -1 ? { path: rest, query: '' } : { path: rest.slice(0, mark), query: rest.slice(mark + 1) };
}

/** Turns %XX into the byte XX, each byte one character (PEP 3333: ISO-8859-1). An invalid escape stays as it is. */
export function percentDecode(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// #region run-application
/**
 * Calls the application and sends its response (PEP 3333 "The Server/Gateway
 * Side"). The status line and headers go out with the first non-empty body
 * chunk, or at the end if there is none. Whatever happens, the body's close()
 * is called: after the last chunk, after an error, after the client left.
 */
export async function runApplication(
  connection: Socket,
  app: Application,
  request: Request,
  options: ServerOptions,
  errors: (text: string) => void,
): Promise<void> {
  const environ = getEnviron(request, connection, options, errors);
  const isHead = request.method === 'HEAD'; // RFC 9110 §9.3.2: same headers, no body
  let response: { status: string; headers: Headers } | undefined;
  let headersSent = false;
  let bodyLog = '';
  let body: Body | undefined;

  /** Sends the status line and headers, with the first body chunk when there is one: one write, one TCP segment. */
  function sendHead(first?: Uint8Array): boolean {
    const head = responseHead(response!.status, response!.headers, options.clock ?? (() => new Date()));
    logLines(options.log, '> ', head);
    headersSent = true;
    const bytes = Buffer.from(head, 'latin1');
    return connection.write(first ? Buffer.concat([bytes, first]) : bytes);
  }

  /** Sends a chunk; returns a promise only when the kernel's buffer is full and we must wait (backpressure). */
  function send(chunk: Uint8Array): Promise<void> | undefined {
    if (connection.destroyed) return undefined;
    if (options.log && !isHead && bodyLog.length < 1024) bodyLog += Buffer.from(chunk).toString('utf8');
    const flushed = !headersSent ? sendHead(isHead ? undefined : chunk) : isHead || connection.write(chunk);
    // Backpressure: when the kernel's send buffer is full, wait for 'drain' (or the client leaving).
    return flushed ? undefined : waitForDrain(connection);
  }

  const startResponse: StartResponse = (status, headers, excInfo) => {
    if (excInfo !== undefined && excInfo !== null) {
      if (headersSent) throw excInfo; // PEP 3333: too late to change the response; re-raise
    } else if (response) {
      throw new InterfaceError('PEP 3333 start_response: called a second time without exc_info');
    }
    checkStatus(status);
    checkHeaders(headers);
    response = { status, headers: [...headers] };
    return write;
  };

  const write: Write = (data) => {
    checkChunk(data);
    if (!response) throw new InterfaceError('PEP 3333 write(): called before start_response');
    if (data.length > 0) void send(data);
  };

  try {
    body = app(environ, startResponse);
    checkBody(body);
    for await (const chunk of body) {
      checkChunk(chunk);
      if (chunk.length === 0) continue; // PEP 3333: an empty chunk must not trigger sending the headers
      if (!response) throw new InterfaceError('PEP 3333: the application yielded body bytes before calling start_response');
      if (connection.destroyed) break; // the client left: stop asking the app for more
      const full = send(chunk);
      if (full) await full;
    }
    if (!response) throw new InterfaceError('PEP 3333: the application returned without calling start_response');
    if (!headersSent) sendHead();
    if (bodyLog) logLines(options.log, '> ', bodyLog);
    finishResponse(connection);
  } catch (error) {
    if (connection.destroyed) {
      // The client is gone; nobody to answer.
    } else if (!headersSent) {
      reportError(errors, error, request);
      sendError(connection, new HttpError(500, 'the application failed; the server log says why'), options);
    } else {
      // Too late for a 500: the status line is out. Reset the connection, so the
      // client sees an error instead of a body that looks complete.
      reportError(errors, error, request);
      connection.resetAndDestroy();
    }
  } finally {
    closeBody(body, errors);
  }
}
// #endregion

// #region check-body
/** Throws InterfaceError unless `body` is something the server can iterate for byte chunks. */
function checkBody(body: unknown): asserts body is Body {
  if (typeof body === 'string') {
    throw new InterfaceError('PEP 3333: the application must return an iterable of bytes, not a string (it would iterate as characters)');
  }
  if (body instanceof Uint8Array) {
    throw new InterfaceError('PEP 3333: the application returned bytes, not an iterable of bytes: return [buffer]');
  }
  const iterable = body as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null | undefined;
  if (typeof iterable?.[Symbol.iterator] !== 'function' && typeof iterable?.[Symbol.asyncIterator] !== 'function') {
    throw new InterfaceError(`PEP 3333: the application must return an iterable of byte chunks, got ${describe(body)}`);
  }
}
// #endregion

// #region close-body
/** PEP 3333: call the body's close() if it has one, whatever happened; a failing close() is logged, not fatal. */
function closeBody(body: Body | undefined, errors: (text: string) => void): void {
  if (body === undefined || body === null || typeof body.close !== 'function') return;
  try {
    body.close();
  } catch (error) {
    errors(`close() of the application's body failed: ${(error as Error).stack ?? String(error)}\n`);
  }
}
// #endregion

function reportError(errors: (text: string) => void, error: unknown, request: Request): void {
  const where = `${request.method} ${request.target}`;
  if (error instanceof InterfaceError) errors(`${where}: ${error.message}\n`);
  else errors(`${where}: the application raised ${(error as Error)?.stack ?? String(error)}\n`);
}

function waitForDrain(connection: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      connection.off('drain', done);
      connection.off('close', done);
      resolve();
    };
    connection.on('drain', done);
    connection.on('close', done);
  });
}

// #region response-head
/**
 * The status line and header fields, as they go on the wire: the
 * application's headers in its order, then Date and Server unless it sent
 * them, then `Connection: close`, because we close after every response
 * (RFC 9112 §9.6). Without a Content-Length from the application, the client
 * knows the body has ended when we close the connection (RFC 9112 §6.3 item 8).
 */
export function responseHead(status: string, headers: Headers, clock: () => Date): string {
  const has = (name: string) => headers.some(([key]) => key.toLowerCase() === name);
  const fields: Headers = [...headers];
  if (!has('date')) fields.push(['Date', httpDate(clock())]); // RFC 9110 §6.6.1, IMF-fixdate
  if (!has('server')) fields.push(['Server', SERVER_SOFTWARE]);
  fields.push(['Connection', 'close']);
  return `HTTP/1.1 ${status}\r\n${fields.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}
// #endregion

/** Connections whose client sent bytes after its request: closing them at once could reset the response. */
const stillSending = new WeakSet<Socket>();

let lastDate = { second: NaN, text: '' };

/** The Date header value for `now`, formatted once per second, as node:http does: every request in that second shares it. */
function httpDate(now: Date): string {
  const second = Math.floor(now.getTime() / 1000);
  if (second !== lastDate.second) lastDate = { second, text: now.toUTCString() };
  return lastDate.text;
}

// #region finish-response
/**
 * Ends the response: FIN after the last byte, then close. Closing a socket
 * that has unread bytes makes the kernel send RST, which can destroy the
 * response before the client has read it; so when the client may still be
 * sending (`linger`, or bytes arrived after its request) we keep reading and
 * dropping them for a while first (RFC 9112 §9.6, "lingering close", as nginx
 * does). Otherwise we close as soon as the last byte is out, as node:http does.
 */
export function finishResponse(connection: Socket, linger = false): void {
  connection.end();
  if (linger || stillSending.has(connection)) {
    connection.setTimeout(LINGER_MS, () => connection.destroy());
  } else {
    connection.once('finish', () => connection.destroy());
  }
}
// #endregion

/** Sends a short plain-text error response for `error` and finishes the connection. */
export function sendError(connection: Socket, error: HttpError, options: ServerOptions): void {
  const body = Buffer.from(`${statusLine(error.code)}: ${error.message}\n`, 'utf8');
  const head = responseHead(
    statusLine(error.code),
    [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ],
    options.clock ?? (() => new Date()),
  );
  logLines(options.log, '> ', head + body.toString('utf8'));
  if (connection.destroyed) return;
  connection.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  finishResponse(connection, true); // a refused request may still be arriving
}

/** Logs `text` one line at a time behind `prefix`, as curl -v shows a conversation. */
function logLines(log: ((line: string) => void) | undefined, prefix: string, text: string): void {
  if (!log) return;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) log(`${prefix}${line}`.trimEnd());
}

// #region load-application
/**
 * Loads the application named by `spec`, in the form `module:export`
 * (webserver2.py takes `module:callable`). The module is a path
 * (`part2/apps/hello.ts`) or a bare name looked up in part2/apps/
 * (`hello` means part2/apps/hello.ts); the export defaults to `app`.
 *
 * @throws Error with a one-line message when the module or export is missing
 *   or the export is not an application.
 */
export async function loadApplication(spec: string): Promise<Application> {
  const colon = spec.lastIndexOf(':');
  const [moduleName, exportName] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, 'app'];
  const file = findModule(moduleName);
  if (!file) {
    throw new Error(`Cannot load ${spec}: no module ${moduleName} (looked for it as a path and in part2/apps/)`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Cannot load ${spec}: the module failed to load: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!(exportName in module)) {
    const names = Object.keys(module).join(', ') || 'none';
    throw new Error(`Cannot load ${spec}: ${moduleName} has no export ${exportName} (its exports: ${names})`);
  }
  const app = module[exportName];
  if (typeof app !== 'function') {
    throw new Error(`Cannot load ${spec}: PEP 3333 says an application is a callable taking (environ, start_response), but ${exportName} is ${describe(app)}`);
  }
  return app as Application;
}
// #endregion

/** The file of an application module: `name` as a path, or a module of part2/apps/ (`hello` -> part2/apps/hello.ts). */
export function findModule(name: string): string | undefined {
  const apps = fileURLToPath(new URL('./apps/', import.meta.url));
  const candidates = [resolvePath(name), resolvePath(`${name}.ts`), resolvePath(apps, name), resolvePath(apps, `${name}.ts`)];
  return candidates.find((candidate) => existsSync(candidate) && /\.[cm]?[jt]s$/.test(candidate));
}

/** Reads the command line. @throws Error with a one-line message on bad input. */
export function parseOptions(args: string[]): { spec: string; port: number; host: string; quiet: boolean } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' }, quiet: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new Error('Provide a gateway application as module:export (e.g. npm run part2 -- hello)');
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  }
  return { spec: positionals[0]!, port, host: values.host ?? DEFAULT_HOST, quiet: values.quiet ?? false };
}

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
    console.error(`Warning: listening on every network interface (${host}): anyone who can reach this machine can connect.`);
  }
  const server = makeServer(app, { serverName: host, ...(quiet ? {} : { log: (line: string) => console.log(line) }) });
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === 'EADDRINUSE'
        ? `Port ${port} is already in use on ${host}: stop the other server or pick another port with --port ${port + 1}`
        : `Cannot listen on ${host}:${port}: ${error.message}`,
    );
    process.exit(1);
  });
  server.listen(port, host, () => {
    const address = server.address();
    console.log(`GatewayServer: Serving HTTP on port ${typeof address === 'object' && address ? address.port : port} ...`);
  });
}
// #endregion

// Run the server only when this file is the program, not when a test or another step imports it.
// (The program's file name, not import.meta.url: in a bundle every module shares the bundle's URL.)
if (/(^|[\\/])webserver2\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  await main();
}
