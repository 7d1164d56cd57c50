/**
 * Servers that get HTTP wrong in the ways a class does, for the tests of
 * `npm run class` and for trying it by hand:
 *
 *     npx tsx scripts/class/odd-servers.ts wrong 8864     # bare LF, a wrong Content-Length
 *     npx tsx scripts/class/odd-servers.ts silent 8865    # accepts, reads, never answers
 *     npx tsx scripts/class/odd-servers.ts garbage 8866   # answers bytes that are not HTTP
 *
 * Each answers once it has read a request's blank line (or its half-close),
 * as a working Part 1 server does, so that only the answer is wrong.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

/** What each odd server answers. undefined: nothing, ever. */
export const ODD_ANSWERS: Record<string, string | undefined> = {
  // Bare LF line endings (RFC 9112 §2.2 wants CRLF from a sender) and a Content-Length one too long.
  wrong: 'HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 15\nConnection: close\n\nHello, World!\n',
  silent: undefined,
  garbage: 'Hello, World! (no status line, no header fields)\n',
};

/** Listens on `port` (0: any free one) on `host` with the odd server `kind`; resolves once listening. */
export async function startOddServer(kind: string, port = 0, host = '127.0.0.1'): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  if (!(kind in ODD_ANSWERS)) throw new Error(`no odd server '${kind}': ${Object.keys(ODD_ANSWERS).join(', ')}`);
  const answer = ODD_ANSWERS[kind];
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // the checker hangs up at its deadline: nothing to do
    let head = '';
    const respond = () => {
      if (answer !== undefined && socket.writable) socket.end(answer);
    };
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (/\r?\n\r?\n/.test(head)) respond();
    });
    socket.on('end', respond); // a half-close: answer what came
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const close = () => new Promise<void>((resolve) => (sockets.forEach((socket) => socket.destroy()), server.close(() => resolve())));
  return { server, port: (server.address() as AddressInfo).port, close };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [kind = '', port = '0'] = process.argv.slice(2);
  const started = await startOddServer(kind, Number(port));
  console.log(`${kind} server on 127.0.0.1:${started.port}`);
}
