/**
 * Part 3, step 3h: a concurrent gateway server. Part 2's server, with a
 * child process per connection.
 *
 * The TypeScript rendition of lsbaws part3/webserver3h.py, which gives
 * webserver2's WSGI server the forking of 3g. Changed since 3g: the child
 * serves its connection with Part 2's handleOneRequest and the application
 * named on the command line (MODULE:EXPORT, as Part 2 takes it), instead of
 * the fixed Hello, World. environ says wsgi.multiprocess: true, because other
 * processes run the same application at the same time (PEP 3333). The
 * parent loads the application once too, only to fail at once on a typo;
 * otherwise it is 3g's parent, imported unchanged. --quiet silences the
 * request log and the reaper's line for each child that exits with status 0
 * (for load tests); a child that fails is still reported.
 *
 * Unlike a child of fork(2), each Node child imports the application again,
 * before it asks for its connection: part of what a child costs (NOTES.md).
 *
 * See it:   npm run part3 -- 3h honoapp        (or hello, h3app, ittyapp, ...)
 *           curl -v http://localhost:8888/hello
 *           npm run part3:client -- --max-conns 1024
 * Options:  --port N (8888)  --host H (localhost)  --quiet  --max-children N (32)
 *           LSBAWS_FIXED_DATE=2019-07-15T05:54:48Z fixes the Date header (tests)
 */
import { once } from 'node:events';
import { loadApplication } from '../part2/loader.ts';
import { handleOneRequest } from '../part2/webserver2.ts';
import * as plumbing from './plumbing.ts';
// The parent (the listen backlog, the limit on children, the reaper): 3g's, unchanged.
import { DEFAULT_MAX_CHILDREN, REQUEST_QUEUE_SIZE, serveForever } from './webserver3g.ts';

// #region serve-child
/**
 * The child's side, the original's `if pid == 0:` branch: receive the one
 * connection the parent sends, serve it with Part 2's handleOneRequest and
 * the application `spec` names, exit (os._exit(0)).
 */
export function serveChild(spec: string, options: plumbing.ServerOptions): void {
  // The parent has loaded it already: a failure here means the module changed since.
  const app = loadApplication(spec).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
  // The application loaded, ask for the connection: a socket that waited for
  // the import would meet its client's close or reset with no listener.
  plumbing.receiveConnection(async (connection) => {
    const serverPort = String(connection.localPort);
    // Part 2's handleOneRequest rejects when the client resets while it writes
    // an error response (the write fails, ECONNRESET): nothing is left to serve.
    await handleOneRequest(connection, await app, { ...options, serverPort }).catch(() => {});
    // handleOneRequest resolves once the response is on its way; the
    // connection closes when the client has read it (Part 2's finishResponse).
    if (!connection.destroyed) await once(connection, 'close');
  }, app);
}
// #endregion

/** The command line, one option a line; `--child` is set by the parent. */
export const OPTIONS = {
  ...plumbing.PORT_AND_HOST_ROWS,
  spec: plumbing.applicationRow('3h'),
  quiet: plumbing.FLAG_ROW,
  maxChildren: plumbing.countRow(DEFAULT_MAX_CHILDREN),
  child: plumbing.FLAG_ROW,
};

// #region main
async function main(): Promise<void> {
  const options = plumbing.optionsOrExit((args) => plumbing.parseTable(OPTIONS, args));
  const { spec, host, quiet } = options;
  if (options.child) return serveChild(spec, plumbing.gatewayOptions(host, quiet));
  await plumbing.loadOrExit(spec); // once, to fail here on a typo rather than in every child
  // noDelay: as Part 2's server, no Nagle delay for a small body after the head.
  const listening = { noDelay: true, name: 'GatewayServer' };
  const server = await plumbing.listenOrExit(options.port, host, REQUEST_QUEUE_SIZE, listening);
  serveForever(server, options);
}
// #endregion

// Run the server only when this file is the program, not when a test imports it.
if (plumbing.isProgram(import.meta.url)) await main();
