import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it as vitestIt } from 'vitest';
import { RESPONSE } from '../part1/webserver1.ts';
import { changed, groupByResponse, record, showChange, startFor } from './lib/record.ts';
import { loadTranscripts } from './lib/transcripts.ts';
import { runNode } from './lib/running-steps.ts';
import { exercisedIt } from './testing/exercised.ts';

// An exercise changes what a part sends: a failure it explains is skipped, naming it.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const script = fileURLToPath(new URL('./record.ts', import.meta.url));
const real = (part: number) => fileURLToPath(new URL(`../part${part}/transcripts`, import.meta.url));

const copies: string[] = [];
afterEach(() => {
  while (copies.length) rmSync(copies.pop()!, { recursive: true, force: true });
});

/** A temporary copy of a part's transcripts folder: the tests never write the real one. */
function copyOf(part: number): string {
  const dir = mkdtempSync(join(tmpdir(), `record-part${part}-`));
  copies.push(dir);
  cpSync(real(part), dir, { recursive: true });
  return dir;
}

/** Runs `npm run record -- ARGS` as a child process and resolves with its exit code and output. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode(['--import', 'tsx', script, ...args], { env: { NO_COLOR: '1' } });
}

describe('npm run record, on a copy of part1/transcripts', () => {
  it('--check shows the drift with CR and LF visible and writes nothing; then recording writes the running bytes', async () => {
    const before = readFileSync(join(real(1), 'hello.response'));
    const dir = copyOf(1);
    const stale = Buffer.from(RESPONSE.toString('latin1').replace('Hello, World!', 'Hello, Earth!'), 'latin1');
    writeFileSync(join(dir, 'hello.response'), stale);

    const checked = await run(['part1', 'nonsense', '--check', '--dir', dir]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(1);
    expect(checked.stdout).toContain('DIFFERS  hello.response (telnet, telnet-chars, nc, curl, browser, nonsense, half-close; on webserver1b)');
    expect(checked.stdout).toContain('- Hello, Earth!\\n');
    expect(checked.stdout).toContain('+ Hello, World!\\n');
    expect(checked.stdout).toContain('  Connection: close\\r\\n');
    expect(readFileSync(join(dir, 'hello.response'))).toEqual(stale);

    const written = await run(['part1', 'nonsense', '--dir', dir]);
    expect(written.code, written.stdout + written.stderr).toBe(0);
    expect(written.stdout).toContain('written  hello.response');
    expect(written.stdout).toContain('1 of 1 response files rewritten');
    expect(readFileSync(join(dir, 'hello.response'))).toEqual(RESPONSE);

    const again = await run(['part1', '--all', '--check', '--dir', dir]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('unchanged  hello.response');
    expect(readFileSync(join(real(1), 'hello.response'))).toEqual(before);
  });

  it('refuses a name the manifest does not list, and a call without names or --all', async () => {
    const dir = copyOf(1);
    const unknown = await run(['part1', 'nosuch', '--dir', dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no transcript named nosuch; these exist: telnet, telnet-chars, nc');
    const bare = await run(['part1', '--dir', dir]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Name the transcripts to record, or give --all');
  });
});

describe('recording response files', () => {
  it('groups by response file: naming one transcript replays every transcript that expects the same file', () => {
    const transcripts = loadTranscripts(real(2));
    const groups = groupByResponse(transcripts, ['hello-nc']);
    expect([...groups.keys()]).toEqual(['hello.response']);
    expect(groups.get('hello.response')!.map((t) => t.name)).toEqual(['hello-curl', 'hello-telnet', 'hello-telnet-chars', 'hello-nc', 'hello-http10', 'validator-curl']);
  });

  it('Part 2: records with each transcript app and the fixed Date, and refuses a file whose transcripts now disagree', async () => {
    const dir = copyOf(2);
    const manifest = JSON.parse(readFileSync(join(dir, 'transcripts.json'), 'utf8')) as Array<{ name: string; response?: string }>;
    // HEAD gets no body: sharing hello.response with the GETs cannot be recorded.
    manifest.find((entry) => entry.name === 'hello-head')!.response = 'hello.response';
    writeFileSync(join(dir, 'transcripts.json'), JSON.stringify(manifest));
    const [hello] = await record(dir, loadTranscripts(dir), ['hello-head'], { part: 2 });
    expect(hello!.recorded).toBeUndefined();
    expect(hello!.problem).toMatch(/^hello-curl and hello-head share hello.response but now get different bytes/);
    expect(hello!.problem).toContain('- Hello world from a simple gateway application!\\n');

    const [router] = await record(dir, loadTranscripts(dir), ['router-404'], { part: 2 });
    expect(router!.against).toEqual(['webserver2 running router']);
    expect(changed(router!), showChange(router!).join('\n')).toBe(false);
    expect(router!.recorded!.toString('latin1')).toContain('Date: Mon, 15 Jul 2019 05:54:48 GMT\r\n');
  });

  it('part2b: several exchanges on one connection, split into one response file each', async () => {
    const dir = fileURLToPath(new URL('../part2/transcripts/persistent', import.meta.url));
    const recordings = await record(dir, loadTranscripts(dir), ['pipeline', 'http10-keep-alive'], { part: 2, persistent: true });
    expect(recordings.map((r) => [r.file, r.against])).toEqual([
      ['pipeline.response', ['webserver2b running hello:sized']],
      ['http10-keep-alive-1.response', ['webserver2b running hello:sized']],
      ['http10-keep-alive-2.response', ['webserver2b running hello:sized']],
    ]);
    for (const recording of recordings) expect(changed(recording), showChange(recording).join('\n')).toBe(false);
    const [first, second] = recordings.slice(1).map((r) => r.recorded!.toString('latin1'));
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: keep-alive\r\n\r\nHello[^]*\n$/);
    expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n\r\nHello[^]*\n$/);
  });

  it('refuses bytes from a connection the server did not close', async () => {
    const dir = copyOf(1);
    writeFileSync(join(dir, 'open.request'), 'GET / HTTP/1.1\r\n'); // no blank line, no half-close: the server waits for more
    writeFileSync(join(dir, 'transcripts.json'), JSON.stringify([{ name: 'open', about: 'an unfinished head', response: 'hello.response' }]));
    const [open] = await record(dir, loadTranscripts(dir), ['open'], { part: 1, idleTimeoutMs: 200 });
    expect(open!.recorded).toBeUndefined();
    expect(open!.problem).toBe('open: the server did not close the connection (timeout) after 0 bytes');
  });

  it('Part 3: will not record against 3d, whose clients never see the end of the stream', async () => {
    const [curl] = loadTranscripts(real(3));
    await expect(startFor(curl!, { part: 3, step: '3d' })).rejects.toThrow(/3d never closes a client connection/);
  });
});
