/**
 * Middleware that checks both sides of PEP 3333 as a request passes through,
 * like Python's wsgiref.validate: the server's environ on the way in, the
 * application's start_response calls and body on the way out. It changes
 * nothing; at the first broken rule it throws an InterfaceError whose message
 * starts with `PEP 3333` and names the rule. Served by webserver2.ts, that
 * means a 500 for the client and the rule in the server's log (wsgi.errors).
 *
 * Wrap an application you are writing, or a server you are testing:
 *   npm run part2 -- validator          (the hello app, validated: passes)
 *   npm run part2 -- validator:broken   (an app without Content-Type: 500)
 */
import {
  checkBody,
  checkChunk,
  checkHeaders,
  checkStatus,
  describe,
  InterfaceError,
  type Application,
  type Body,
  type Chunk,
  type Environ,
  type Headers,
  type StartResponse,
} from '../gateway.ts';
import { TOKEN } from '../http.ts';
import { app as helloApp } from './hello.ts';

/** What the validator has seen of one response so far. */
interface ResponseState {
  /**
   * The status of the last accepted start_response call, e.g. '200 OK'; undefined before the first.
   */
  status: string | undefined;
}

// #region validator
/**
 * Wraps `app` in checks of both sides of PEP 3333.
 *
 * Server side, before calling `app`: see {@link checkEnviron}.
 * Application side:
 * - start_response: a valid status and headers (gateway.ts's checkStatus and
 *   checkHeaders), called once, a second time only with exc_info; a
 *   Content-Type unless the status is 204 or 304 (wsgiref.validate's rule);
 * - the body: an iterable (sync or async) of bytes, not a string; no body
 *   bytes before start_response; start_response called by the time the body
 *   ends; no body bytes for 204 and 304;
 * - close(): the server must call it once and not read the body after it;
 *   the validator forwards it to the application's body's close(), once.
 *
 * @throws InterfaceError, message `PEP 3333 ...` naming the rule, from the
 *   call, from start_response, or from the body's iteration or close().
 */
export function validator(app: Application): Application {
  return function validated(environ, startResponse) {
    checkEnviron(environ);
    const state: ResponseState = { status: undefined };

    const checkedStartResponse: StartResponse = (status, headers, excInfo) => {
      if (state.status !== undefined && (excInfo === undefined || excInfo === null)) {
        throw new InterfaceError(
          `PEP 3333 "The start_response() Callable": called a second time without exc_info ` +
            `(first ${state.status}, now ${describe(status)}); only an error handler may call ` +
            `it again, with exc_info`,
        );
      }
      checkStatus(status);
      checkHeaders(headers);
      checkContentType(status, headers);
      const write = startResponse(status, headers, excInfo);
      state.status = status; // only once the server has accepted it too
      return (data) => {
        checkChunk(data);
        checkNoBody(state, data);
        write(data);
      };
    };

    const body: unknown = app(environ, checkedStartResponse);
    checkBody(body);
    return checkedBody(body, state);
  };
}
// #endregion

// #region check-environ
/**
 * Checks the server's side of environ (PEP 3333 "environ Variables"; the
 * checks of wsgiref.validate's check_environ, stricter where our interface
 * promises more, e.g. QUERY_STRING and CONTENT_TYPE present even when ''):
 * every required key present; every CGI key (no dot in its name) a string;
 * REQUEST_METHOD a non-empty token; SCRIPT_NAME '' or starting with '/' and
 * never '/' itself; PATH_INFO '' or starting with '/'; CONTENT_LENGTH '' or
 * digits; no HTTP_CONTENT_TYPE or HTTP_CONTENT_LENGTH; SERVER_NAME and
 * SERVER_PORT not empty; wsgi.version [1, 0]; wsgi.url_scheme 'http' or
 * 'https'; wsgi.input with read, readline, readlines and iteration;
 * wsgi.errors with write, writelines and flush; the three wsgi flags booleans.
 *
 * @throws InterfaceError naming the first rule `environ` breaks.
 */
export function checkEnviron(environ: unknown): asserts environ is Environ {
  if (typeof environ !== 'object' || environ === null || Array.isArray(environ)) {
    fail(`environ must be an object of CGI and wsgi.* keys, got ${describe(environ)}`);
  }
  const env = environ as Record<string, unknown>;
  for (const key of REQUIRED_KEYS) {
    if (!(key in env))
      fail(`the required key ${key} is missing (a key with no value is present as '')`);
  }
  for (const [key, value] of Object.entries(env)) {
    // Keys with a dot belong to wsgi.* or to a library (PEP 3333: `library.key`); the rest are CGI
    // strings.
    if (!key.includes('.') && typeof value !== 'string')
      fail(`${key} must be a string, got ${describe(value)}`);
  }
  checkCgiKeys(env);
  checkWsgiKeys(env);
}
// #endregion

/** The CGI keys' values (PEP 3333 "environ Variables"; see {@link checkEnviron}). */
function checkCgiKeys(env: Record<string, unknown>): void {
  if (!TOKEN.test(env.REQUEST_METHOD as string))
    fail(
      `REQUEST_METHOD must be a non-empty method token like GET, got ` +
        `${describe(env.REQUEST_METHOD)}`,
    );
  const scriptName = env.SCRIPT_NAME as string;
  if (scriptName === '/')
    fail(
      `SCRIPT_NAME must not be '/': an application at the root has SCRIPT_NAME '' and PATH_INFO ` +
        `'/'`,
    );
  if (scriptName !== '' && !scriptName.startsWith('/'))
    fail(`SCRIPT_NAME must be '' or start with '/', got ${describe(scriptName)}`);
  const pathInfo = env.PATH_INFO as string;
  if (pathInfo !== '' && !pathInfo.startsWith('/'))
    fail(`PATH_INFO must be '' or start with '/', got ${describe(pathInfo)}`);
  if (!/^(\d+)?$/.test(env.CONTENT_LENGTH as string))
    fail(`CONTENT_LENGTH must be '' or a number of bytes, got ${describe(env.CONTENT_LENGTH)}`);
  for (const key of ['HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH']) {
    if (key in env)
      fail(`${key} must not be present: the CGI keys ${key.slice(5)} hold those header fields`);
  }
  for (const key of ['SERVER_NAME', 'SERVER_PORT']) {
    if (env[key] === '')
      fail(
        `${key} must not be empty: with SERVER_NAME and SERVER_PORT an application rebuilds its ` +
          `URL`,
      );
  }
}

/** The wsgi.* keys (PEP 3333 "environ Variables"; see {@link checkEnviron}). */
function checkWsgiKeys(env: Record<string, unknown>): void {
  const version = env['wsgi.version'];
  if (!Array.isArray(version) || version.length !== 2 || version[0] !== 1 || version[1] !== 0) {
    fail(`wsgi.version must be [1, 0], got ${describe(version)}`);
  }
  if (env['wsgi.url_scheme'] !== 'http' && env['wsgi.url_scheme'] !== 'https') {
    fail(`wsgi.url_scheme must be 'http' or 'https', got ${describe(env['wsgi.url_scheme'])}`);
  }
  checkStream('wsgi.input', env['wsgi.input'], ['read', 'readline', 'readlines', Symbol.iterator]);
  checkStream('wsgi.errors', env['wsgi.errors'], ['write', 'writelines', 'flush']);
  for (const key of ['wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once']) {
    if (typeof env[key] !== 'boolean')
      fail(`${key} must be true or false, got ${describe(env[key])}`);
  }
}

/**
 * PEP 3333 "environ Variables": the keys every environ has (our interface keeps the optional CGI
 * ones as '').
 */
const REQUIRED_KEYS = [
  'REQUEST_METHOD',
  'SCRIPT_NAME',
  'PATH_INFO',
  'QUERY_STRING',
  'CONTENT_TYPE',
  'CONTENT_LENGTH',
  'SERVER_NAME',
  'SERVER_PORT',
  'SERVER_PROTOCOL',
  'wsgi.version',
  'wsgi.url_scheme',
  'wsgi.input',
  'wsgi.errors',
  'wsgi.multithread',
  'wsgi.multiprocess',
  'wsgi.run_once',
];

function fail(rule: string): never {
  throw new InterfaceError(`PEP 3333 "environ Variables": ${rule}`);
}

/** PEP 3333 "Input and Error Streams": the methods a stream must have. */
function checkStream(key: string, stream: unknown, methods: Array<string | symbol>): void {
  for (const method of methods) {
    const has =
      typeof stream === 'object' &&
      stream !== null &&
      typeof (stream as Record<string | symbol, unknown>)[method] === 'function';
    if (!has) {
      const name =
        method === Symbol.iterator ? 'iteration ([Symbol.iterator])' : `${String(method)}()`;
      throw new InterfaceError(
        `PEP 3333 "Input and Error Streams": ${key} must have ${name}, got ${describe(stream)}`,
      );
    }
  }
}

/**
 * Responses that have no body, so no Content-Type (RFC 9110 §15.3.5 204 No Content, §15.4.5 304 Not
 * Modified).
 */
const NO_BODY = new Set([204, 304]);

/**
 * wsgiref.validate's check_content_type: a Content-Type in every response that has a body, none in
 * a 204 or 304.
 */
function checkContentType(status: string, headers: Headers): void {
  const code = Number(status.slice(0, 3));
  const hasType = headers.some(([name]) => name.toLowerCase() === 'content-type');
  if (NO_BODY.has(code) && hasType) {
    throw new InterfaceError(
      `PEP 3333 validator (wsgiref.validate): a ${code} response has no body, so it must not ` +
        `have a Content-Type header`,
    );
  }
  if (!NO_BODY.has(code) && !hasType) {
    throw new InterfaceError(
      `PEP 3333 validator (wsgiref.validate): no Content-Type header in a ${code} response; only ` +
        `204 and 304 go without one`,
    );
  }
}

/**
 * No body bytes in a 204 or 304 response (RFC 9110 §15.3.5, §15.4.5), and none before
 * start_response.
 */
function checkNoBody(state: ResponseState, chunk: Chunk): void {
  if (chunk.length === 0) return; // PEP 3333: empty chunks are allowed anywhere
  if (state.status === undefined) {
    throw new InterfaceError(
      'PEP 3333 "The start_response() Callable": the body yielded bytes before start_response ' +
        'was called',
    );
  }
  const code = Number(state.status.slice(0, 3));
  if (NO_BODY.has(code))
    throw new InterfaceError(
      `PEP 3333 validator: a ${state.status} response must not have a body, got ${chunk.length} ` +
        `bytes`,
    );
}

// #region checked-body
/**
 * The application's body behind checks: the same chunks, sync or async as the
 * original, each checked; and a close() that the server must call once, which
 * calls the original's close() once (PEP 3333 "Specification Details").
 */
function checkedBody(body: Body, state: ResponseState): Body {
  let closed = false;
  const checkOpen = (): void => {
    if (closed)
      throw new InterfaceError(
        'PEP 3333 "Specification Details": the server read the body after calling its close()',
      );
  };
  const checked: Partial<Iterable<Chunk> & AsyncIterable<Chunk>> & { close: () => void } = {
    close() {
      if (closed)
        throw new InterfaceError(
          'PEP 3333 "Specification Details": the server called the body\'s close() twice; once ' +
            'per request',
        );
      closed = true;
      if (typeof body.close === 'function') body.close();
    },
  };
  if (Symbol.iterator in body) {
    checked[Symbol.iterator] = () => syncChecked(body[Symbol.iterator](), checkOpen, state);
  }
  if (Symbol.asyncIterator in body) {
    checked[Symbol.asyncIterator] = () =>
      asyncChecked(body[Symbol.asyncIterator](), checkOpen, state);
  }
  return checked as Body;
}

/** One step of the body's iteration, checked: a chunk of bytes, or the end after start_response. */
function checkStep(result: IteratorResult<unknown>, state: ResponseState): IteratorResult<Chunk> {
  if (result.done) {
    if (state.status === undefined) {
      throw new InterfaceError(
        'PEP 3333 "The start_response() Callable": the body ended and start_response was never ' +
          'called',
      );
    }
    return { done: true, value: undefined };
  }
  checkChunk(result.value);
  checkNoBody(state, result.value);
  return result as IteratorResult<Chunk>;
}

/** A sync body's iterator, each step checked. */
function syncChecked(
  inner: Iterator<Chunk>,
  checkOpen: () => void,
  state: ResponseState,
): Iterator<Chunk> {
  return {
    next: () => (checkOpen(), checkStep(inner.next(), state)),
    // A server that stops early (the client left) ends the iteration: let a generator run its
    // finally blocks.
    return: (value?: unknown) => (inner.return?.(value), { done: true, value: undefined }),
  };
}

/** An async body's iterator, each step checked. */
function asyncChecked(
  inner: AsyncIterator<Chunk>,
  checkOpen: () => void,
  state: ResponseState,
): AsyncIterator<Chunk> {
  return {
    next: async () => (checkOpen(), checkStep(await inner.next(), state)),
    return: async (value?: unknown) => (
      await inner.return?.(value),
      { done: true, value: undefined }
    ),
  };
}
// #endregion

/** An application that breaks a rule: its response has a body and no Content-Type. */
export const noContentType: Application = (_environ, startResponse) => {
  startResponse('200 OK', []);
  return [Buffer.from('Hello world, of no particular type!\n')];
};

/**
 * The hello app behind the validator: `npm run part2 -- validator` serves the same bytes as
 * `hello`.
 */
export const app: Application = validator(helloApp);

/**
 * {@link noContentType} behind the validator: `npm run part2 -- validator:broken` answers 500, and
 * the log names the rule.
 */
export const broken: Application = validator(noContentType);
