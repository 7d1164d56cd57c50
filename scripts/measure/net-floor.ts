/**
 * The floor of `npm run bench`: the least a node:net server can do for a
 * connection, as python-loop.py is the least a Python one can. On the first
 * bytes of a connection it writes the hello app's response and closes; no
 * parsing, no log, no timeout, no lingering (so, unlike Part 1, it can lose
 * a response to a client that sends more than one read). Every course server
 * built on node:net pays at least this much a connection: a `net.Socket` (a
 * duplex stream), its listeners, and the event loop's epoll calls.
 *
 *   npm run part3 -- net-floor --port 8889
 *
 * Options:  --port N (8888)  --host H (localhost)
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BODY } from './http-baseline.ts';

/** The same bytes python-loop.py sends. */
export const RESPONSE = Buffer.concat([
  Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n`, 'latin1'),
  BODY,
]);

/** A node:net server that answers the first read of every connection with {@link RESPONSE}, then closes it. */
export function createFloorServer(): ReturnType<typeof createServer> {
  return createServer((connection) => {
    connection.on('error', () => {}); // a reset: nothing to answer
    connection.once('data', () => {
      connection.write(RESPONSE);
      connection.destroy(); // close(2): the kernel still sends what write() handed it
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = Number(values.port ?? 8888);
  const host = values.host ?? 'localhost';
  const server = createFloorServer();
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`Cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
    process.exit(1);
  });
  server.listen({ port, host }, () => {
    const address = server.address();
    console.log(`node:net floor: Serving HTTP on port ${typeof address === 'object' && address ? address.port : port} ...`);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
