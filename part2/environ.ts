/**
 * environ, built from a request (PEP 3333 "environ Variables"): what both of Part 2's servers
 * give the application, as wsgiref's BaseHandler.setup_environ does. The request's header
 * fields become CGI's HTTP_ keys; the target splits into PATH_INFO and QUERY_STRING.
 */
import type { Socket } from 'node:net';
import { createErrorStream, createInputStream, type Environ, type Headers } from './gateway.ts';
import type { Request } from './http.ts';
import { DEFAULT_HOST } from './loader.ts';

/** What environ takes from the server's options. */
export interface EnvironSettings {
  /** SERVER_NAME in environ. Default: the host we listen on. */
  serverName?: string;
  /** SERVER_PORT in environ. Default: the port we listen on. */
  serverPort?: string;
  /** `wsgi.multiprocess`: Part 3's forking servers set it. Default false. */
  multiprocess?: boolean;
}

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
  options: EnvironSettings,
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
    const key = environKey(lower);
    // RFC 9110 §5.3: repeated fields join with commas; cookies with '; ' (RFC 6265 §5.4).
    const separator = lower === 'cookie' ? '; ' : ',';
    environ[key] = key in environ ? `${environ[key]}${separator}${value}` : value;
  }
}

/**
 * The environ keys of the fields most requests carry, written out. A key built afresh for every
 * request is a new string, which V8 must look up in its table of property names before it can
 * store it in environ: `node --cpu-prof` showed that as the largest cost of environ.
 */
const COMMON_KEYS: Readonly<Record<string, `HTTP_${string}`>> = {
  host: 'HTTP_HOST',
  'user-agent': 'HTTP_USER_AGENT',
  accept: 'HTTP_ACCEPT',
  'accept-encoding': 'HTTP_ACCEPT_ENCODING',
  'accept-language': 'HTTP_ACCEPT_LANGUAGE',
  connection: 'HTTP_CONNECTION',
  cookie: 'HTTP_COOKIE',
  referer: 'HTTP_REFERER',
};

/** The environ key of a field, by its lower-case name (PEP 3333, CGI): HTTP_USER_AGENT. */
function environKey(lower: string): `HTTP_${string}` {
  if (Object.hasOwn(COMMON_KEYS, lower)) return COMMON_KEYS[lower]!; // not 'constructor'
  return `HTTP_${lower.toUpperCase().replaceAll('-', '_')}`;
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
  if (!path.includes('%')) return path; // most paths have no escape: no expression to run
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}
