/**
 * Middleware that routes by regular expression: a table of [pattern, app]
 * pairs, the first pattern that matches PATH_INFO picks the application.
 *
 * To the server, `route(...)` is one application; to each application in the
 * table, it is the server that called it. That double role is what PEP 3333
 * "Middleware: Components that Play Both Sides" calls middleware, and it is
 * how every framework's router began.
 *
 * Run the demo site:  npm run part2 -- router
 *                     curl http://localhost:8888/hello/Ren%C3%A9
 */
import type { Application, StartResponse } from '../gateway.ts';
import { statusLine } from '../http.ts';

/**
 * The environ key where {@link route} puts the pattern's capture groups, in
 * order; groups that did not take part in the match are ''. PEP 3333
 * "Specification Details": a middleware's own keys are named `library.key`.
 * (The wsgiorg.routing_args convention is the same idea as a [args, kwargs] pair.)
 */
export const ARGS_KEY = 'router.args';

/** The environ key where {@link route} puts the pattern's named groups (`(?<name>...)`), or {}. */
export const NAMED_ARGS_KEY = 'router.named_args';

// #region route
/**
 * Builds a routing middleware.
 *
 * @param table  [pattern, application] pairs, tried in order against
 *   PATH_INFO (`/hello/world`, one character per byte: PEP 3333 "Unicode Issues").
 *   Anchor your patterns (`^/hello/([^/]+)$`): a pattern matches anywhere.
 * @param notFound  called when no pattern matches; default: a plain-text 404.
 * @returns an application that calls the first matching one with the same
 *   `environ`, plus `router.args` (the captures) and `router.named_args`
 *   (named captures), and the same `startResponse`: it adds nothing to the
 *   response, so whatever the routed app returns goes to the server as is.
 */
export function route(
  table: Array<[RegExp, Application]>,
  notFound: Application = notFoundApp,
): Application {
  return function router(environ, startResponse) {
    const path = environ.PATH_INFO || '/'; // PEP 3333: an empty PATH_INFO means the root
    for (const [pattern, app] of table) {
      const match = pattern.exec(path);
      if (match) {
        environ[ARGS_KEY] = match.slice(1).map((group) => group ?? '');
        environ[NAMED_ARGS_KEY] = { ...match.groups };
        return app(environ, startResponse);
      }
    }
    return notFound(environ, startResponse);
  };
}
// #endregion

/** A 404 with a one-line plain-text body that names the path. */
export const notFoundApp: Application = (environ, startResponse) => {
  return plainText(
    startResponse,
    statusLine(404),
    `Not Found: no route for ${utf8(environ.PATH_INFO)}\n`,
  );
};

// #region demo-site
/** GET /: lists the routes. */
export const index: Application = (_environ, startResponse) => {
  const lines = [
    'Routes of this demo site:',
    '  /             this list',
    '  /hello/NAME   a greeting for NAME (try /hello/Ren%C3%A9)',
    'Anything else: 404 Not Found.',
  ];
  return plainText(startResponse, '200 OK', `${lines.join('\n')}\n`);
};

/** GET /hello/NAME: greets NAME, percent-decoded and read as UTF-8. */
export const hello: Application = (environ, startResponse) => {
  const [name = ''] = environ[ARGS_KEY] as string[];
  return plainText(startResponse, '200 OK', `Hello, ${utf8(name)}!\n`);
};

/** The demo site: the application `npm run part2 -- router` serves. */
export const app: Application = route([
  [/^\/$/, index],
  [/^\/hello\/([^/]+)$/, hello],
]);
// #endregion

/**
 * Reads a PEP 3333 string (one character per byte, ISO-8859-1) as the UTF-8
 * text the client meant: '/hello/RenÃ©' becomes '/hello/René'. Bytes that
 * are not valid UTF-8 become U+FFFD rather than an error: a greeting is no
 * reason to fail a request.
 */
export function utf8(wsgiString: string): string {
  return Buffer.from(wsgiString, 'latin1').toString('utf8');
}

/** Starts a text/plain response in UTF-8 with its Content-Length and returns the body. */
function plainText(startResponse: StartResponse, status: string, text: string): Buffer[] {
  const body = Buffer.from(text, 'utf8');
  startResponse(status, [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(body.length)],
  ]);
  return [body];
}
