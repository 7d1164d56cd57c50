import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTranscripts } from './transcripts.ts';

describe('loadTranscripts', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a CRLF manifest (a Windows checkout) and keeps every transcript byte as stored: CR, bare LF, no final newline', () => {
    dir = mkdtempSync(join(tmpdir(), 'transcripts-'));
    const manifest = JSON.stringify([{ name: 'mixed', about: 'CRLF head,\r\nbare LF body', send: 'lines' }], null, 2);
    writeFileSync(join(dir, 'transcripts.json'), manifest.replaceAll('\n', '\r\n'));
    writeFileSync(join(dir, 'mixed.request'), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    writeFileSync(join(dir, 'mixed.response'), 'HTTP/1.1 200 OK\r\n\r\nline one\nline two');
    const [transcript] = loadTranscripts(dir);
    expect(transcript!.about).toBe('CRLF head,\r\nbare LF body');
    expect(transcript!.send).toBe('lines');
    expect(transcript!.requestBytes).toEqual(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'));
    expect(transcript!.responseBytes).toEqual(Buffer.from('HTTP/1.1 200 OK\r\n\r\nline one\nline two', 'latin1'));
  });
});
