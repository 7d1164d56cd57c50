/**
 * npm run telnet -- HOST PORT
 *
 * A small line-mode client for students without telnet. Each line you type is
 * sent when you press Enter, ending in CRLF as HTTP wants (RFC 9112 §2.1), and
 * everything the server sends back is printed with CR and LF made visible
 * (`\r\n`), so you see the exact bytes. `--raw` prints them as they are.
 *
 * An empty line ends the request head. The connection stays open for as long
 * as the server keeps it: against a server with persistent connections
 * (`npm run part2b`, RFC 9112 §9.3) type a second request after the first
 * response, on the same connection. Ctrl-D closes your sending side (a
 * half-close: the server sees end of stream) and waits for the server to
 * finish; Ctrl-C quits at once. Status lines go to stderr, the server's bytes
 * to stdout, so `... | npm run -s telnet -- localhost 8888 > reply.txt` works.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { visible } from './lib/wire.ts';

const usage = 'usage: npm run telnet -- [--raw] HOST PORT   (e.g. npm run telnet -- localhost 8888)';

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({ options: { raw: { type: 'boolean', default: false } }, allowPositionals: true });
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`, 2);
  }
  const [host = 'localhost', portText = '8888', ...extra] = parsed.positionals;
  const port = Number(portText);
  if (extra.length > 0 || !Number.isInteger(port) || port < 1 || port > 65535) fail(usage, 2);
  const raw = parsed.values.raw ?? false;

  const socket = connect({ host, port, allowHalfOpen: true });
  socket.on('connect', () => {
    info(`Connected to ${host}:${port}. Type a request line, header fields, then an empty line; after the response, another request if the server keeps the connection open. Ctrl-D to close, Ctrl-C to quit.`);
    const lines = createInterface({ input: process.stdin, terminal: false });
    lines.on('line', (line) => {
      if (!socket.writableEnded) socket.write(`${line}\r\n`);
    });
    // End of our input: tell the server we are done sending, then wait for it.
    lines.on('close', () => {
      if (!socket.writableEnded) socket.end();
    });
  });
  socket.on('data', (chunk: Buffer) => {
    process.stdout.write(raw ? chunk : visible(chunk));
  });
  socket.on('end', () => {
    info('Connection closed by the server.');
    process.exit(0);
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNREFUSED') fail(`Cannot connect to ${host}:${port}: connection refused (is the server running? try npm run part1)`, 1);
    if (error.code === 'ENOTFOUND') fail(`Cannot connect to ${host}:${port}: no such host`, 1);
    fail(`Connection to ${host}:${port} failed: ${error.code ?? error.message}`, 1);
  });
}

function info(text: string): void {
  process.stderr.write(`${text}\n`);
}

function fail(text: string, status: number): never {
  info(text);
  process.exit(status);
}

main();
