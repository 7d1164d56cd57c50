import { describe, expect, it } from 'vitest';
import { assertSameBytes, describeDifference, exchange, firstDifference, splitLines, visible } from './wire.ts';

describe('visible', () => {
  it('writes out CR and LF and breaks the line after LF', () => {
    expect(visible(Buffer.from('HTTP/1.1 200 OK\r\n\r\nHi\n'))).toBe('HTTP/1.1 200 OK\\r\\n\n\\r\\n\nHi\\n\n');
  });
  it('escapes other control bytes, high bytes and the backslash itself', () => {
    expect(visible(Buffer.from([0x00, 0x09, 0x5c, 0xff]))).toBe('\\x00\\t\\\\\\xff');
  });
});

describe('byte comparison', () => {
  const expected = Buffer.from('HTTP/1.1 200 OK\r\n\r\nHello\n');
  it('finds the first differing byte, including a missing CR', () => {
    expect(firstDifference(expected, Buffer.from('HTTP/1.1 200 OK\n\nHello\n'))).toBe(15);
    expect(firstDifference(expected, expected)).toBe(-1);
    expect(firstDifference(expected, expected.subarray(0, 5))).toBe(5);
  });
  it('fails loudly with both sides visible when bytes differ', () => {
    const actual = Buffer.from('HTTP/1.1 200 OK\n\nHello\n');
    expect(() => assertSameBytes(actual, expected)).toThrowError(/bytes differ at offset 15 \(line 1\)/);
    expect(describeDifference(expected, actual)).toContain('--- actual\nHTTP/1.1 200 OK\\n\n\\n\nHello\\n');
  });
  it('passes silently when bytes are equal', () => {
    expect(() => assertSameBytes(Buffer.from(expected), expected)).not.toThrow();
  });
});

describe('splitLines', () => {
  it('splits after each LF and keeps every byte', () => {
    const parts = splitLines(Buffer.from('a\r\nb\n\ntail'));
    expect(parts.map((p) => p.toString())).toEqual(['a\r\n', 'b\n', '\n', 'tail']);
  });
});

describe('exchange with a server that stays silent', () => {
  it('ends with a timeout instead of hanging', async () => {
    const { createServer } = await import('node:net');
    const server = createServer({ pauseOnConnect: true }); // accepts, never reads, never answers
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const result = await exchange({ host: '127.0.0.1', port }, [Buffer.from('GET / HTTP/1.1\r\n\r\n')], { idleTimeoutMs: 100 });
    expect(result.ending).toBe('timeout');
    expect(result.bytes.length).toBe(0);
    server.close();
  });
});
