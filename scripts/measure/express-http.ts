/**
 * The yardstick for Express on our gateway: the same Express app
 * (part2/apps/expressapp.ts), served by Node's own HTTP server, as Express's
 * docs serve it (`app.listen` is `http.createServer(app).listen`). No
 * adapter, no environ: what fromNodeHttp costs is the difference.
 *
 *   npm run bench -- --only part2-express,http-express
 *
 * Options:  --port N (8888)  --host H (localhost)
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { expressApp } from '../../part2/apps/expressapp.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { port: { type: 'string' }, host: { type: 'string' } },
  });
  const port = Number(values.port ?? 8888);
  const host = values.host ?? 'localhost';
  const server = createServer(expressApp);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`Cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
    process.exit(1);
  });
  // A backlog of 1024, as the node:http baseline: the bench opens 50 connections at once.
  server.listen({ port, host, backlog: 1024 }, () => {
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    console.log(`Express on node:http: Serving HTTP on port ${bound} ...`);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
