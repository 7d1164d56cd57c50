/**
 * Calling a gateway application without a socket, for unit tests: a complete
 * environ with test defaults (wsgiref.util.setup_testing_defaults does the same
 * for Python) and a minimal server loop that collects the response.
 */
import {
  checkChunk,
  checkHeaders,
  checkStatus,
  createErrorStream,
  createInputStream,
  InterfaceError,
  type Application,
  type Environ,
  type Headers,
} from '../../part2/gateway.ts';

/**
 * A valid environ for `GET /` on localhost:8888, as our server would build it,
 * with `overrides` applied last. `body` becomes wsgi.input; whatever the
 * application writes to wsgi.errors is pushed onto `errors`.
 */
export function makeEnviron(overrides: Record<string, unknown> = {}, body: Buffer = Buffer.alloc(0), errors: string[] = []): Environ {
  return {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: '/',
    QUERY_STRING: '',
    CONTENT_TYPE: '',
    CONTENT_LENGTH: '',
    SERVER_NAME: 'localhost',
    SERVER_PORT: '8888',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '127.0.0.1',
    HTTP_HOST: 'localhost:8888',
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': 'http',
    'wsgi.input': createInputStream(body),
    'wsgi.errors': createErrorStream((text) => errors.push(text)),
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    ...overrides,
  } as Environ;
}

/** What an application answered, as {@link callApp} collected it. */
export interface AppResponse {
  status: string;
  headers: Headers;
  body: Buffer;
}

/**
 * Runs `app` once the way a server does (PEP 3333 "The Server/Gateway Side"):
 * calls it, iterates its body (sync or async), and always calls the body's
 * close(). Rejects with what the application threw, or with an
 * InterfaceError when it never called start_response.
 */
export async function callApp(app: Application, environ: Environ = makeEnviron()): Promise<AppResponse> {
  let response: { status: string; headers: Headers } | undefined;
  const chunks: Buffer[] = [];
  const body = app(environ, (status, headers, excInfo) => {
    if (response && (excInfo === undefined || excInfo === null)) throw new InterfaceError('start_response called twice');
    checkStatus(status);
    checkHeaders(headers);
    response = { status, headers };
    return (data) => void chunks.push(Buffer.from(data));
  });
  try {
    for await (const chunk of body) {
      checkChunk(chunk);
      chunks.push(Buffer.from(chunk));
    }
  } finally {
    body.close?.();
  }
  if (!response) throw new InterfaceError('the application never called start_response');
  return { ...response, body: Buffer.concat(chunks) };
}

/** The value of the first header field called `name` (any case), or undefined. */
export function headerValue(headers: Headers, name: string): string | undefined {
  return headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}
