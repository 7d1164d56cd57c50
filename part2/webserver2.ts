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
import type { Server, Socket } from 'node:net';
import { isProgram } from '../part1/cli.ts';
import type { Application } from './gateway.ts';
import { getEnviron } from './environ.ts';
import { logLines, ResponseHandler, runApplication, sendError, withDefaults } from './handler.ts';
import { RequestDeadline, RequestDecoder } from './decoder.ts';
import { CONTINUE, HttpError, type Request } from './http.ts';
import { guardConnection, listenForConnections, main, type ServerOptions } from './server.ts';
import { MAX_BODY_BYTES, MAX_HEAD_BYTES, REQUEST_TIMEOUT_MS, type Settings } from './server.ts';

// #region make-server
/**
 * Creates the server (wsgiref's make_server): a listening socket whose every
 * accepted connection is served by {@link handleOneRequest}. Call
 * serveForever (server.ts; or `server.listen(port, host)`) to start; Node's event
 * loop is the accept loop, so one slow client does not hold up the others.
 */
export function makeServer(app: Application, options: ServerOptions = {}): Server {
  return listenForConnections(options, (connection, settings) => {
    void handleOneRequest(connection, app, settings);
  });
}
// #endregion

// #region handle-one-request
/**
 * Serves one connection: one request, one response, then close.
 * Resolves when the connection is finished with; never rejects.
 */
export function handleOneRequest(
  connection: Socket,
  app: Application,
  options: ServerOptions = {},
): Promise<void> {
  const settings = withDefaults(options);
  return guardConnection(connection, settings, () => serveRequest(connection, app, settings));
}

/** Reads the request, refusing a bad one; calls the application and sends its response. */
async function serveRequest(connection: Socket, app: Application, settings: Settings) {
  let request: Request;
  try {
    request = await readRequest(connection, settings);
  } catch (error) {
    if (error instanceof HttpError) sendError(connection, error, settings);
    else connection.destroy(); // the client went away before sending a whole request
    return;
  }
  logLines(settings.log, '< ', request.head);
  // Bytes read past the request (pipelined, or not HTTP at all): more may be on their way.
  const clientStillSending = connection.bytesRead > request.head.length + request.body.length;
  const handler = new ResponseHandler(connection, request, settings, { clientStillSending });
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

// Run the server only when this file is the program, not when a test or Part 3 imports it.
if (isProgram('webserver2')) {
  await main(makeServer);
}
