/**
 * The yardstick for Part 3's 3i: Node's own HTTP server (node:http), one
 * process, answering every request as Part 2's hello app does: the same
 * status, Content-Type and body, and `Connection: close` after each
 * response, as our servers send. Compare them under the same load:
 *
 *   npm run part3 -- baseline --port 8889
 *   ab -n 20000 -c 50 http://127.0.0.1:8889/hello
 *
 * Options:  --port N (8888)  --host H (localhost)  --keep-alive (do not close after each response)
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** The hello app's body (part2/apps/hello.ts). */
export const BODY = Buffer.from('Hello world from a simple gateway application!\n');

/**
 * A node:http server that answers every request with {@link BODY} and closes
 * the connection; with `keepAlive`, it keeps the connection open for the next
 * request instead (HTTP/1.1's default), as `npm run bench` measures too.
 */
export function createBaselineServer(keepAlive = false): ReturnType<typeof createServer> {
  return createServer((request, response) => {
    // Keep-alive needs the body's length (or chunks) so the client knows where the next response starts.
    response.writeHead(200, keepAlive ? { 'Content-Type': 'text/plain', 'Content-Length': BODY.length } : { 'Content-Type': 'text/plain', Connection: 'close' });
    response.end(BODY);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { port: { type: 'string' }, host: { type: 'string' }, 'keep-alive': { type: 'boolean', default: false } },
  });
  const port = Number(values.port ?? 8888);
  const host = values.host ?? 'localhost';
  const server = createBaselineServer(values['keep-alive']);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`Cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
    process.exit(1);
  });
  server.listen({ port, host, backlog: 1024 }, () => {
    const address = server.address();
    console.log(`node:http baseline: Serving HTTP on port ${typeof address === 'object' && address ? address.port : port} ...`);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
