/**
 * An adapter from the fetch handler to the gateway interface: most JavaScript
 * frameworks today (Hono, h3, itty-router, ...) export their app as one
 * function, `(request: Request) => Response`, over the WHATWG Fetch standard's
 * Request and Response. `fromFetch` turns such a function into a PEP 3333
 * Application, so those frameworks run on our server unchanged.
 *
 * It is middleware in PEP 3333's sense: to the server it is an application; to
 * the framework it is the server, building a Request from environ and sending
 * the Response on. Python has such bridges too: a2wsgi runs an ASGI
 * framework on a WSGI server the way this runs a fetch framework on ours.
 */
import {
  describe,
  HOP_BY_HOP,
  type Application,
  type Chunk,
  type Environ,
  type Headers,
} from '../gateway.ts';
import { REASON_PHRASES } from '../http.ts';

/**
 * A WHATWG fetch handler: what Hono's `app.fetch`, h3's `app.fetch` and itty-router's
 * `router.fetch` are.
 */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

// #region from-fetch
/**
 * Wraps a fetch handler as a gateway application.
 *
 * Per request: builds a Request from environ ({@link toRequest}), calls
 * `handler`, reads the Response's whole body, then calls startResponse with
 * `${status} ${statusText or reason phrase}` and the headers
 * ({@link toHeaders}), and yields the body as one chunk.
 *
 * The body comes first because a framework may set headers while its body is
 * produced (a stream that sets a cookie, a length known at the end), and
 * start_response takes the headers once (PEP 3333 "The start_response() Callable").
 *
 * @returns an application whose body is an async iterable: the handler runs
 *   when the server starts iterating it. If the handler throws, rejects or
 *   returns no Response, the iteration rejects before start_response, and the
 *   server answers 500 (PEP 3333 "Error Handling"). A request that Fetch
 *   cannot express gets 400 or 501 from the adapter itself ({@link refuse}).
 */
export function fromFetch(handler: FetchHandler): Application {
  return (environ, startResponse) => {
    async function* body(): AsyncGenerator<Chunk> {
      const request = toRequest(environ);
      const response = request instanceof Request ? await handler(request) : request;
      if (!(response instanceof Response))
        throw new TypeError(
          `fromFetch: the handler must return a Response, got ${describe(response)}`,
        );
      const bytes = new Uint8Array(await response.arrayBuffer());
      const reason = response.statusText || REASON_PHRASES[response.status] || '';
      startResponse(`${response.status} ${reason}`, toHeaders(response, environ));
      if (bytes.length > 0) yield bytes;
    }
    return body();
  };
}
// #endregion

// #region to-request
/**
 * The Request that `environ` describes:
 * - URL as PEP 3333 "URL Reconstruction" builds it: wsgi.url_scheme, then
 *   HTTP_HOST or SERVER_NAME:SERVER_PORT, then SCRIPT_NAME + PATH_INFO
 *   percent-encoded again, then `?QUERY_STRING` when there is one;
 * - method REQUEST_METHOD;
 * - headers from every HTTP_* key, CONTENT_TYPE and CONTENT_LENGTH;
 * - the body from wsgi.input, except for GET and HEAD (Fetch forbids a body there).
 *
 * @returns the Request, or, for a request Fetch cannot express, the Response
 *   that refuses it ({@link refuse}).
 */
export function toRequest(environ: Environ): Request | Response {
  const method = environ.REQUEST_METHOD;
  // Fetch's "forbidden methods": new Request() throws for them.
  if (FORBIDDEN_METHODS.has(method.toUpperCase()))
    return refuse(501, `the method ${method} cannot reach a fetch handler`);
  const path = environ.SCRIPT_NAME + environ.PATH_INFO;
  // RFC 9112 §3.2.4: `OPTIONS * HTTP/1.1` (PATH_INFO '*') asks about the server, not a resource; no
  // URL says that.
  if (path !== '' && !path.startsWith('/'))
    return refuse(501, `the request target ${path} has no URL form for a fetch handler`);
  const authority = host(environ);
  const query = environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : '';
  const url = `${environ['wsgi.url_scheme']}://${authority}${encodePath(path)}${query}`;
  // RFC 9110 §7.2: Host is host[":" port]. A '/', '?', '#' or '@' in it would move the path the
  // framework routes on (`Host: x/admin?` makes GET /hello http://x/admin?/hello), so refuse those
  // too, not only what the URL parser refuses (`Host: a b`).
  if (
    !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(:\d*)?$/.test(authority) ||
    !URL.canParse(url)
  ) {
    return refuse(
      400,
      `the Host header field ${JSON.stringify(authority)} is not a host[:port] (RFC 9110 §7.2)`,
    );
  }
  const init: RequestInit = { method, headers: requestHeaders(environ) };
  if (method !== 'GET' && method !== 'HEAD')
    // a copy: BodyInit wants its own ArrayBuffer
    init.body = new Uint8Array(environ['wsgi.input'].read());
  return new Request(url, init);
}
// #endregion

/** Fetch standard, "forbidden method": a Request cannot have one. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** The adapter's own short plain-text answer to a request it cannot hand to the framework. */
export function refuse(code: number, reason: string): Response {
  const text = `${code} ${REASON_PHRASES[code] ?? ''}: ${reason}\n`;
  return new Response(text, {
    status: code,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/**
 * HTTP_HOST, or SERVER_NAME with SERVER_PORT unless it is the scheme's default (PEP 3333 "URL
 * Reconstruction").
 */
function host(environ: Environ): string {
  const fromHeader = environ.HTTP_HOST;
  if (typeof fromHeader === 'string' && fromHeader !== '') return fromHeader;
  const defaultPort = environ['wsgi.url_scheme'] === 'https' ? '443' : '80';
  return environ.SERVER_PORT === defaultPort
    ? environ.SERVER_NAME
    : `${environ.SERVER_NAME}:${environ.SERVER_PORT}`;
}

/**
 * Percent-encodes a PEP 3333 path (one character per byte, ISO-8859-1) back
 * into a URL path: each character is its byte; bytes that may stand in a path
 * (RFC 3986 §3.3: unreserved, sub-delims, ':', '@', and '/') stay, the rest
 * become %XX. '/hello/RenÃ©' becomes '/hello/Ren%C3%A9', the bytes the client sent.
 * What cannot come back: a %2F the client sent was decoded to '/' by the
 * server, so it returns as '/' (PEP 3333 leaves that ambiguity to servers).
 */
export function encodePath(path: string): string {
  let encoded = '';
  for (const byte of Buffer.from(path, 'latin1')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/**
 * Request header fields from environ: HTTP_USER_AGENT is user-agent (CGI, RFC 3875 §4.1.18), plus
 * the two CGI ones.
 */
function requestHeaders(environ: Environ): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(environ)) {
    if (key.startsWith('HTTP_') && typeof value === 'string')
      headers.push([key.slice(5).replaceAll('_', '-').toLowerCase(), value]);
  }
  if (environ.CONTENT_TYPE) headers.push(['content-type', environ.CONTENT_TYPE]);
  if (environ.CONTENT_LENGTH) headers.push(['content-length', environ.CONTENT_LENGTH]);
  return headers;
}

// #region to-headers
/**
 * The Response's header fields as a PEP 3333 header list, in the order Fetch
 * gives them (names lowercased and sorted, Fetch's rule). Each Set-Cookie
 * stays its own field (getSetCookie()), because cookies cannot be joined with
 * commas. Hop-by-hop fields are the server's business (PEP 3333 "Other HTTP
 * Features"); each one dropped is logged to wsgi.errors, because PEP 3333
 * "The start_response() Callable" says a header discarded must be recorded.
 */
export function toHeaders(response: Response, environ: Environ): Headers {
  const headers: Headers = [];
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue; // added below, one field per cookie
    if (HOP_BY_HOP.has(name)) {
      environ['wsgi.errors'].write(
        `fromFetch: dropped the hop-by-hop header field ${name}: ${value} (PEP 3333 "Other HTTP ` +
          `Features")\n`,
      );
      continue;
    }
    headers.push([name, value]);
  }
  for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
  return headers;
}
// #endregion
