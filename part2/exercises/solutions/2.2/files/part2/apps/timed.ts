/**
 * Exercise 2.2: a middleware that times the application. It wraps
 * startResponse to add `X-Response-Time: 3ms`, the time from the call to the
 * moment the application starts its response. The body is iterated after
 * the head is sent, so its time cannot go in a header field of the same
 * response.
 */
import type { Application } from '../gateway.ts';

/** Wraps `app`: same status, fields and body, plus X-Response-Time in whole ms. */
export function timed(app: Application): Application {
  return (environ, startResponse) => {
    const start = performance.now();
    return app(environ, (status, headers, excInfo) => {
      const ms = Math.round(performance.now() - start);
      return startResponse(status, [...headers, ['X-Response-Time', `${ms}ms`]], excInfo);
    });
  };
}
