/**
 * A small static file server for the built course site (`npm start`).
 *
 * It uses node:http for now; a later part of the course replaces it with the
 * course's own server. It serves files inside one folder and nothing else:
 * a request path that could climb out (`..`, `%2e%2e`, a backslash, a NUL)
 * is refused before it touches the file system.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';

/** Content-Type by file extension. Anything else is served as bytes. */
export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Why a request path was refused, or the safe relative path it names. */
export type PathCheck = { ok: true; relative: string } | { ok: false; status: 400 | 404; reason: string };

/**
 * Turns the path of a request target into a relative file path inside the
 * served folder, or says why not. Decodes percent-escapes once, then refuses
 * a NUL, a backslash (a separator on Windows), and any `.` or `..` segment,
 * so neither `/../x` nor `/%2e%2e/x` nor `/..%5cx` can climb out.
 * A path ending in `/` names that folder's index.html.
 */
export function checkRequestPath(target: string): PathCheck {
  const path = target.split(/[?#]/, 1)[0]!;
  if (!path.startsWith('/')) return { ok: false, status: 400, reason: 'request target must start with /' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400, reason: 'NUL in path' };
  if (decoded.includes('\\')) return { ok: false, status: 400, reason: 'backslash in path' };
  const segments = decoded.slice(1).split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) return { ok: false, status: 400, reason: 'dot segment in path' };
  if (segments.slice(0, -1).some((segment) => segment === '')) return { ok: false, status: 404, reason: 'empty segment in path' };
  const relative = segments.join('/');
  return { ok: true, relative: relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative };
}

/** Options of {@link createStaticServer}. */
export interface StaticServerOptions {
  /** Called once per request with a one-line summary, e.g. for a terminal log. */
  log?: (line: string) => void;
}

/**
 * An HTTP server (not yet listening) that serves the files under `rootDir`.
 *
 * GET and HEAD only (405 with an Allow field otherwise); a folder without a
 * trailing slash redirects to it (so relative links inside resolve); a
 * missing file gets `rootDir/404.html` (or a short page) with status 404.
 * Call `listen()` on the result yourself.
 *
 * @throws when `rootDir` does not exist
 */
export function createStaticServer(rootDir: string, options: StaticServerOptions = {}): Server {
  // The real path, so a symlink inside cannot lead a request out of the folder.
  const root = realpathSync(rootDir);
  const server = createServer((request, response) => {
    // Browsers reset connections all the time (a closed tab): that ends the response, never the server.
    response.on('error', () => {});
    serveFile(root, request, response);
    options.log?.(`${request.method} ${request.url} ${response.statusCode}`);
  });
  // A client that sends garbage gets a 400 from Node and is dropped; nothing to crash on.
  server.on('clientError', (_error, socket) => socket.destroy());
  return server;
}

function serveFile(root: string, request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendText(response, request, 405, 'Method Not Allowed: this server only reads files (GET, HEAD).\n', { Allow: 'GET, HEAD' });
  }
  const check = checkRequestPath(request.url ?? '/');
  if (!check.ok) return sendText(response, request, check.status, `${check.status === 400 ? 'Bad Request' : 'Not Found'}: ${check.reason}\n`);
  const file = resolveInside(root, check.relative);
  if (file === undefined) return sendNotFound(root, request, response);
  const stats = statSync(file, { throwIfNoEntry: false });
  if (stats?.isDirectory()) {
    const location = `${(request.url ?? '/').split('?', 1)[0]}/`;
    return sendText(response, request, 301, `Moved to ${location}\n`, { Location: location });
  }
  if (!stats?.isFile()) return sendNotFound(root, request, response);
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': stats.size,
    // The site is rebuilt while it is served: always ask again.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file)
    .on('error', () => response.destroy()) // the file vanished mid-read (a rebuild): drop this response
    .pipe(response);
}

/** The real path of `relative` under `root`, or undefined when it is missing or (through a symlink) outside. */
function resolveInside(root: string, relative: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(join(root, relative));
  } catch {
    return undefined; // missing: a 404
  }
  return real === root || real.startsWith(root + sep) ? real : undefined;
}

function sendNotFound(root: string, request: IncomingMessage, response: ServerResponse): void {
  const page = join(root, '404.html');
  const stats = statSync(page, { throwIfNoEntry: false });
  if (!stats?.isFile()) return sendText(response, request, 404, 'Not Found\n');
  response.writeHead(404, { 'Content-Type': CONTENT_TYPES['.html']!, 'Content-Length': stats.size, 'Cache-Control': 'no-cache' });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(page)
    .on('error', () => response.destroy())
    .pipe(response);
}

function sendText(response: ServerResponse, request: IncomingMessage, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': CONTENT_TYPES['.txt']!, 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(request.method === 'HEAD' ? undefined : text);
}
