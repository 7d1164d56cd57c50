/**
 * The yardstick of `npm run probe`: Node's own HTTP server (node:http, with
 * its llhttp parser and default options), answering as Part 2's hello app
 * does, after it has read the whole request body. An application that
 * answers before reading the body never learns that the body was malformed,
 * so the probe could not tell what node:http's parser thinks of it.
 *
 *   npx tsx scripts/probe/node-http-server.ts --port 8888
 *
 * Options:  --port N (8888)  --host H (localhost)
 */
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BODY } from '../measure/http-baseline.ts';

/** A node:http server that reads each request's body to its end, then answers 200 with {@link BODY}. */
export function createReadingServer(): Server {
  return createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
      response.end(BODY);
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = Number(values.port ?? 8888);
  const host = values.host ?? 'localhost';
  const server = createReadingServer();
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`Cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => console.log(`node:http: Serving HTTP on port ${port} ...`));
}
