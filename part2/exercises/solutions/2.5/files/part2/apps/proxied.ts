/**
 * Exercise 2.5: a middleware for an application behind a reverse proxy, as
 * werkzeug's ProxyFix. The proxy connects to us, so REMOTE_ADDR is the
 * proxy's address; it says who the client was in X-Forwarded-For
 * (`client, proxy1, ...`) and which scheme it spoke in X-Forwarded-Proto.
 * Trust these fields only behind a proxy you run: a client can send them too.
 */
import type { Application } from '../gateway.ts';
import { stripOws } from '../http.ts';

/** Wraps `app`: environ gets the client's address and scheme from the proxy's fields. */
export function proxied(app: Application): Application {
  return (environ, startResponse) => {
    // A list element's spaces are OWS: SP and HTAB only, never trim() (RFC 9110 §5.6.1, §5.6.3).
    const client = stripOws(environ.HTTP_X_FORWARDED_FOR?.split(',')[0] ?? '');
    const scheme = stripOws(environ.HTTP_X_FORWARDED_PROTO ?? '').toLowerCase();
    const changes = {
      ...(client ? { REMOTE_ADDR: client } : {}),
      ...(scheme === 'http' || scheme === 'https'
        ? { 'wsgi.url_scheme': scheme as typeof scheme }
        : {}),
    };
    return app({ ...environ, ...changes }, startResponse);
  };
}
