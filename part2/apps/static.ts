/**
 * A static-file gateway application: it serves the files of one folder, and
 * nothing outside it. `npm start` serves the course site with it, through the
 * course's own pre-forked server.
 *
 * Run it alone:  npm run part2 -- static      (serves docs/site, after npm run docs)
 *
 * GET and HEAD only (405 with Allow otherwise, RFC 9110 §15.5.6); the right
 * Content-Type; a folder without its trailing slash redirects to it, so the
 * page's relative links resolve; a missing file gets the folder's 404.html.
 * Large files are streamed in chunks, and the file is closed in the body's
 * close(), which the server always calls (PEP 3333).
 */
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Application, Environ, Headers, StartResponse } from '../gateway.ts';

/** Content-Type by file extension; anything else is sent as bytes. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
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
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Bytes read from the file per body chunk: big enough for few reads, small enough that a large file
 * never sits in memory.
 */
export const CHUNK_BYTES = 64 * 1024;

/** The marker in an HTML page that {@link StaticOptions.servedBy} replaces. */
export const SERVED_BY_MARKER = '<!-- served-by -->';

export interface StaticOptions {
  /**
   * Text put in place of `<!-- served-by -->` in HTML pages, e.g. which server and process
   * answered.
   */
  servedBy?: (environ: Environ) => string;
}

// #region check-path
/**
 * The file path a request names, relative to the served folder, or why it is
 * refused. PATH_INFO arrives percent-decoded (so `/%2e%2e/` is already `/../`)
 * with one character per byte (PEP 3333), which we read back as UTF-8.
 * Refused: a NUL, a backslash (a separator on Windows), `.` and `..` segments.
 */
export function checkPath(
  pathInfo: string,
): { ok: true; relative: string } | { ok: false; reason: string } {
  const path = Buffer.from(pathInfo, 'latin1').toString('utf8');
  if (!path.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  if (path.includes('\0')) return { ok: false, reason: 'a NUL in the path' };
  if (path.includes('\\')) return { ok: false, reason: 'a backslash in the path' };
  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '.' || segment === '..'))
    return { ok: false, reason: 'a dot segment in the path' };
  const relative = segments.join('/');
  return {
    ok: true,
    relative: relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative,
  };
}
// #endregion

/**
 * Builds the application serving the files under `rootDir`.
 * The folder's real path is resolved per request, so the site can be rebuilt while it is served.
 */
export function staticFiles(rootDir: string, options: StaticOptions = {}): Application {
  return (environ, startResponse) => serve(rootDir, environ, startResponse, options);
}

/** The body of the 405 response to a method other than GET and HEAD. */
const ONLY_READS = 'This server only reads files: GET and HEAD.\n';

async function* serve(
  rootDir: string,
  environ: Environ,
  startResponse: StartResponse,
  options: StaticOptions,
): AsyncGenerator<Uint8Array> {
  const method = environ.REQUEST_METHOD;
  if (method !== 'GET' && method !== 'HEAD') {
    yield text(startResponse, '405 Method Not Allowed', ONLY_READS, [['Allow', 'GET, HEAD']]);
    return;
  }
  const check = checkPath(environ.PATH_INFO || '/');
  if (!check.ok) {
    yield text(startResponse, '400 Bad Request', `Refused: ${check.reason}.\n`);
    return;
  }
  // #region resolve-inside
  // The real paths, so that a symlink inside the folder cannot lead out of it.
  const root = await realpath(rootDir);
  const file = await realpath(join(root, check.relative)).catch(() => undefined);
  const inside = file !== undefined && (file === root || file.startsWith(root + sep));
  const stats = inside ? await stat(file) : undefined;
  // #endregion
  if (stats?.isDirectory()) {
    const location = `${environ.SCRIPT_NAME}${environ.PATH_INFO}/`;
    yield text(startResponse, '301 Moved Permanently', `Moved to ${location}\n`, [
      ['Location', location],
    ]);
    return;
  }
  if (!stats?.isFile()) {
    yield* sendFile(join(root, '404.html'), '404 Not Found', environ, startResponse, options);
    return;
  }
  yield* sendFile(file!, '200 OK', environ, startResponse, options);
}

// #region send-file
/**
 * Sends a file: whole when it is an HTML page (to fill in the footer), in chunks otherwise. Closes
 * it whatever happens.
 */
async function* sendFile(
  path: string,
  status: string,
  environ: Environ,
  startResponse: StartResponse,
  options: StaticOptions,
): AsyncGenerator<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    yield text(startResponse, status.startsWith('404') ? status : '404 Not Found', 'Not Found\n');
    return;
  }
  try {
    const size = (await handle.stat()).size;
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const headers: Headers = [
      ['Content-Type', type],
      ['Cache-Control', 'no-cache'], // the site is rebuilt while it is served: always ask again
      ['X-Content-Type-Options', 'nosniff'],
    ];
    if (type.startsWith('text/html') && options.servedBy) {
      const page = (await handle.readFile())
        .toString('utf8')
        .replace(SERVED_BY_MARKER, escapeHtml(options.servedBy(environ)));
      const bytes = Buffer.from(page, 'utf8');
      startResponse(status, [...headers, ['Content-Length', String(bytes.length)]]);
      if (environ.REQUEST_METHOD !== 'HEAD') yield bytes;
      return;
    }
    startResponse(status, [...headers, ['Content-Length', String(size)]]);
    if (environ.REQUEST_METHOD !== 'HEAD') yield* readChunks(handle, size);
  } finally {
    // runs on normal end, on error, and when the server stops iterating (client gone)
    await handle.close();
  }
}

/** The first `size` bytes of a file, CHUNK_BYTES at a time; fewer if it shrinks meanwhile. */
async function* readChunks(handle: FileHandle, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < size;) {
    const length = Math.min(CHUNK_BYTES, size - offset);
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(length), 0, length, offset);
    if (bytesRead === 0) break; // the file shrank under us (a rebuild): stop here
    offset += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
// #endregion

function text(
  startResponse: StartResponse,
  status: string,
  body: string,
  extra: Headers = [],
): Uint8Array {
  const bytes = Buffer.from(body, 'utf8');
  startResponse(status, [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(bytes.length)],
    ...extra,
  ]);
  return bytes;
}

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"]/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`,
  );
}

/**
 * `npm run part2 -- static`, and `npm start` through webserver3i: the built
 * course site, docs/site under the current folder (npm runs scripts from the
 * repository root), or SITE_DIR. The footer names the process that answered.
 */
export const app: Application = staticFiles(resolve(process.env.SITE_DIR ?? 'docs/site'), {
  servedBy: (environ) =>
    environ['wsgi.multiprocess']
      ? `Served by the course's own GatewayServer: a pre-forked pool (webserver3i), worker ` +
        `process ${process.pid}.`
      : `Served by the course's own GatewayServer (Part 2), process ${process.pid}.`,
});
