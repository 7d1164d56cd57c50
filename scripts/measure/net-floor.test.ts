import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createFloorServer, KEEP_ALIVE_RESPONSE, RESPONSE } from './net-floor.ts';
import { visible } from '../lib/wire.ts';

describe('the node:net floor of npm run bench', () => {
  it('sends the Python loop\'s response byte for byte, then closes', async () => {
    const server = createFloorServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
      await once(socket, 'end');
      socket.destroy();
      const got = Buffer.concat(received);
      expect(got.equals(RESPONSE), `got:\n${visible(got)}\nwanted:\n${visible(RESPONSE)}`).toBe(true);
    } finally {
      server.close();
    }
  });

  it('with keep-alive, answers each request on one connection and stays open', async () => {
    const server = createFloorServer(true).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      for (let i = 0; i < 2; i++) {
        socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
        const [chunk] = (await once(socket, 'data')) as [Buffer];
        expect(chunk.equals(KEEP_ALIVE_RESPONSE), visible(chunk)).toBe(true);
      }
      expect(KEEP_ALIVE_RESPONSE.includes('Connection')).toBe(false);
      socket.destroy();
    } finally {
      server.close();
    }
  });

  it('is the same response as python-loop.py sends', () => {
    const source = readFileSync(new URL('./python-loop.py', import.meta.url), 'utf8');
    const literal = /RESPONSE = \(\n([\s\S]*?)\n\)/.exec(source)![1]!;
    const text = [...literal.matchAll(/b"(.*)"/g)].map((m) => m[1]!.replaceAll('\\r', '\r').replaceAll('\\n', '\n')).join('');
    expect(Buffer.from(text, 'latin1').equals(RESPONSE)).toBe(true);
  });
});
