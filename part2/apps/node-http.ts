/**
 * An adapter from node:http's request listener to the gateway interface.
 * Express, Fastify and Koa are written for `http.createServer(handler)`:
 * a handler `(req, res) => void` that reads an http.IncomingMessage and
 * writes to an http.ServerResponse. `fromNodeHttp` turns such a handler into
 * a PEP 3333 Application, so those frameworks run on our server unchanged.
 *
 * Like fromFetch (fetch.ts), it is middleware in PEP 3333's sense: to our
 * server it is an application; to the framework it is node:http. The req and
 * res it hands over come from light-my-request, the library Fastify's
 * `inject()` is built on: a Readable that plays IncomingMessage, and a real
 * ServerResponse whose bytes are caught instead of sent to a socket. Writing
 * them ourselves would mean copying the internals of node:http that every
 * framework leans on (headersSent, writableEnded, 'finish', 'close'); that
 * is exactly the library's job, and it knows Express's prototype swap.
 * Python has bridges of this kind too: a2wsgi runs an ASGI app on a WSGI server.
 */
import { inject, type InjectOptions, type Response as Injected } from 'light-my-request';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HOP_BY_HOP,
  type Application,
  type Chunk,
  type Environ,
  type Headers,
} from '../gateway.ts';
import { encodePath } from './fetch.ts';

/**
 * A node:http request listener: what an Express app, `koa.callback()` and
 * Fastify's router are. What it returns is ignored, unless it is a promise that
 * rejects ({@link dispatcher}).
 */
export type NodeHttpHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * How long a handler may stay silent, in ms: before it writes its response
 * head, and then between two body chunks. After that the adapter gives up:
 * a 500 if no byte has gone out, else the server resets the connection.
 * 30 s, the same patience as the server's own REQUEST_TIMEOUT_MS for a
 * client; node:http itself has no such limit (server.timeout is 0).
 */
export const RESPONSE_TIMEOUT_MS = 30_000;

/** How fromNodeHttp behaves; every field has a default. */
export interface NodeHttpOptions {
  /** See {@link RESPONSE_TIMEOUT_MS}. */
  timeoutMs?: number;
}

// #region from-node-http
/**
 * Wraps a node:http handler as a gateway application.
 *
 * Per request: builds the request from environ ({@link toInjectOptions}),
 * calls `handler` through light-my-request, waits for the response head, then
 * calls startResponse with `${statusCode} ${statusMessage}` and the header
 * fields the handler set ({@link toHeaders}), and yields each body chunk as
 * the handler writes it: streamed, in order.
 *
 * @returns an application whose body is an async iterable: the handler runs
 *   when the server starts iterating it. If the handler throws, emits 'error'
 *   or destroys the response before its head, the iteration rejects before
 *   start_response and the server answers 500 (PEP 3333 "Error Handling");
 *   after the head, the iteration rejects and the server resets the
 *   connection. Silence longer than `timeoutMs` (ms) counts as an error, with
 *   a line on wsgi.errors.
 */
export function fromNodeHttp(handler: NodeHttpHandler, options: NodeHttpOptions = {}): Application {
  const timeoutMs = options.timeoutMs ?? RESPONSE_TIMEOUT_MS;
  const dispatch = dispatcher(handler);
  return (environ, startResponse) => {
    async function* body(): AsyncGenerator<Chunk> {
      const where = `fromNodeHttp: ${environ.REQUEST_METHOD} ${environ.PATH_INFO}`;
      const complain = (what: string) => environ['wsgi.errors'].write(`${where}: ${what}\n`);
      // The handler runs at once; light-my-request resolves when it has written its head.
      const pending = inject(dispatch, toInjectOptions(environ));
      const response = await within(pending, timeoutMs, () => {
        complain(`no response head after ${timeoutMs} ms`);
      });
      const status = `${response.statusCode} ${response.statusMessage}`; // 200 OK
      startResponse(status, toHeaders(response, environ));
      yield* chunks(response, timeoutMs, complain);
    }
    return body();
  };
}
// #endregion

/**
 * The function light-my-request calls. An Express app goes as it is:
 * light-my-request knows Express by identity (`app.request.app === app`) and
 * only then re-parents the prototypes Express gives req and res. Any other
 * handler is wrapped, so that a promise it returns and rejects destroys the
 * response with that error, a 500, where node:http would leave an unhandled
 * rejection, which ends the process (Node docs: --unhandled-rejections).
 */
function dispatcher(handler: NodeHttpHandler): NodeHttpHandler {
  if ((handler as { request?: { app?: unknown } }).request?.app === handler) return handler;
  return (req, res) => {
    const result = handler(req, res);
    if (result instanceof Promise) result.catch((error: unknown) => res.destroy(error as Error));
  };
}

/**
 * The body chunks the handler writes, as it writes them (light-my-request's
 * payloadAsStream). When the server stops early (the client left) or the
 * handler stays silent too long, the response is destroyed, so the handler
 * sees 'close' as it would when a real client goes away.
 */
async function* chunks(
  response: Injected,
  timeoutMs: number,
  complain: (what: string) => void,
): AsyncGenerator<Chunk> {
  const res = response.raw.res;
  const stream = response.stream()[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await within(stream.next() as Promise<IteratorResult<Buffer>>, timeoutMs, () => {
        complain(`no body bytes for ${timeoutMs} ms`);
        res.destroy(); // the handler sees 'close', as when a client goes away
      });
      if (next.done) return;
      if (next.value.length > 0) yield next.value;
    }
  } finally {
    if (!res.writableEnded) res.destroy();
  }
}

/**
 * `promise`, or a rejection after `ms` ms of waiting, calling `onTimeout`
 * first. The timer is cleared either way, so it never keeps Node running.
 */
function within<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`fromNodeHttp: the handler stayed silent for ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// #region to-inject-options
/**
 * The request that `environ` describes, as light-my-request builds it:
 * - url: SCRIPT_NAME + PATH_INFO percent-encoded again (as fetch.ts does),
 *   then `?QUERY_STRING` when there is one: /hello/Ren%C3%A9;
 * - method REQUEST_METHOD; the header fields from every HTTP_* key and the two
 *   CGI ones, names lower case as node:http gives them (`req.headers`);
 * - the body from wsgi.input, whole (our server has read it already);
 * - remoteAddress from REMOTE_ADDR. The mock socket carries nothing else:
 *   `encrypted` is undefined (plain HTTP), and `remotePort` too, because
 *   environ has no key for the client's port (neither PEP 3333 nor CGI has one).
 */
export function toInjectOptions(environ: Environ): InjectOptions {
  const query = environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : '';
  // A request without User-Agent stays without one (light-my-request would add 'lightMyRequest').
  const headers: Record<string, string | undefined> = { 'user-agent': undefined };
  for (const [key, value] of Object.entries(environ)) {
    if (key.startsWith('HTTP_') && typeof value === 'string') {
      headers[key.slice(5).replaceAll('_', '-').toLowerCase()] = value;
    }
  }
  if (environ.CONTENT_TYPE) headers['content-type'] = environ.CONTENT_TYPE;
  if (environ.CONTENT_LENGTH) headers['content-length'] = environ.CONTENT_LENGTH;
  const body = environ['wsgi.input'].read();
  return {
    method: environ.REQUEST_METHOD as InjectOptions['method'],
    url: encodePath(environ.SCRIPT_NAME + environ.PATH_INFO) + query,
    headers: headers as Record<string, string>,
    authority: `${environ.SERVER_NAME}:${environ.SERVER_PORT}`, // when the request had no Host
    remoteAddress: environ.REMOTE_ADDR || '127.0.0.1',
    ...(body.length > 0 ? { payload: body } : {}),
    payloadAsStream: true, // resolve at the response head, then stream the body
    validate: false, // the options are built here, not typed by a person
  };
}
// #endregion

// #region to-headers
/**
 * The header fields the handler set, as a PEP 3333 header list: in the order
 * it set them and with its spelling (`res.getRawHeaderNames()`, so Express's
 * `X-Powered-By` stays as node:http would send it), one field per value of a
 * list (each Set-Cookie its own). node:http adds Date, Connection and
 * Transfer-Encoding while it writes the head; those are not here, because our
 * server adds its own. A hop-by-hop field the handler set itself is dropped,
 * with a line on wsgi.errors (PEP 3333 "Other HTTP Features"), except
 * `Connection: close`: node:http closes the connection after such a response,
 * and frameworks count on it (Fastify's 400s), so it goes on to our server,
 * which closes too.
 */
export function toHeaders(response: Injected, environ: Environ): Headers {
  // Node docs: outgoingMessage.getRawHeaderNames(), since Node 14.17 (missing from @types/node 20).
  const res = response.raw.res as ServerResponse & { getRawHeaderNames(): string[] };
  const headers: Headers = [];
  for (const name of res.getRawHeaderNames()) {
    const values = [res.getHeader(name) ?? ''].flat();
    if (isConnectionClose(name, values)) {
      headers.push([name, 'close']); // the one our server honours (handler.ts)
      continue;
    }
    if (HOP_BY_HOP.has(name.toLowerCase())) {
      const field = `${name}: ${values.join(', ')}`;
      environ['wsgi.errors'].write(`fromNodeHttp: dropped the hop-by-hop header field ${field}\n`);
      continue;
    }
    for (const value of values) headers.push([name, String(value)]);
  }
  return headers;
}
// #endregion

/** Whether the handler set `Connection: close` (node:http: close after this response). */
function isConnectionClose(name: string, values: Array<string | number>): boolean {
  const close = (value: string | number) => /^[ \t]*close[ \t]*$/i.test(String(value));
  return name.toLowerCase() === 'connection' && values.length === 1 && close(values[0]!);
}
