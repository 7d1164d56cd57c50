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
 * With --keep-alive it answers every read on a connection instead, and never
 * closes: the floor of a persistent connection (one read, one write a
 * request; a pipeline that arrives in one read gets one answer, so it is a
 * yardstick for one request at a time, not a server).
 *
 * Options:  --port N (8888)  --host H (localhost)  --keep-alive
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

/** The same response for a connection that stays open: no `Connection: close`. */
export const KEEP_ALIVE_RESPONSE = Buffer.from(RESPONSE.toString('latin1').replace('Connection: close\r\n', ''), 'latin1');

/**
 * A node:net server that answers the first read of every connection with {@link RESPONSE}, then
 * closes it; with `keepAlive`, answers every read with {@link KEEP_ALIVE_RESPONSE} and stays open.
 */
export function createFloorServer(keepAlive = false): ReturnType<typeof createServer> {
  // noDelay only for keep-alive, as Part 2b (a write then close(2) has nothing for Nagle to hold).
  return createServer({ noDelay: keepAlive }, (connection) => {
    connection.on('error', () => {}); // a reset: nothing to answer
    if (keepAlive) return void connection.on('data', () => connection.write(KEEP_ALIVE_RESPONSE));
    connection.once('data', () => {
      connection.write(RESPONSE);
      connection.destroy(); // close(2): the kernel still sends what write() handed it
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { port: { type: 'string' }, host: { type: 'string' }, 'keep-alive': { type: 'boolean', default: false } } });
  const port = Number(values.port ?? 8888);
  const host = values.host ?? 'localhost';
  const server = createFloorServer(values['keep-alive']);
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
