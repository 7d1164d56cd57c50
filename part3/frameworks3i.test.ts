/**
 * Express, Fastify and Koa on 3i, the pre-forked pool: the same golden
 * transcripts as on Part 2's server, byte for byte (each app bundled by
 * esbuild, as `npm run part3 -- 3i expressapp` does), and an Express app
 * that fails in each way we know, the pool serving on after each.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { loadTranscripts, replay, type Transcript } from '../scripts/lib/transcripts.ts';
import { assertSameBytes, exchange } from '../scripts/lib/wire.ts';
import { FAULT_TIMEOUT_MS } from '../part2/fixtures/expressfaults.ts';

// These tests hold the course's bytes: a failure an exercise the student started explains is
// skipped, naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part2/', 'part3/']);

const part2 = loadTranscripts(fileURLToPath(new URL('../part2/transcripts', import.meta.url)));

/**
 * The transcript with `Connection: close` added to its request head: 3i keeps a connection open
 * (RFC 9112 §9.3), and a client that asks it to close gets the very bytes webserver2 sends, which
 * say `Connection: close` too.
 */
function closing(transcript: Transcript): Transcript {
  const bytes = transcript.requestBytes;
  const end = bytes.indexOf('\r\n\r\n');
  const field = Buffer.from('\r\nConnection: close', 'latin1');
  const requestBytes = Buffer.concat([bytes.subarray(0, end), field, bytes.subarray(end)]);
  return { ...transcript, requestBytes, parts: [{ ...transcript.parts[0]!, requestBytes }] };
}

for (const app of ['expressapp', 'fastifyapp', 'koaapp']) {
  describe(`3i runs ${app}: Part 2's transcripts, byte for byte`, () => {
    let server: RunningStep;
    beforeAll(async () => (server = await startStep('3i', ['--workers', '1'], { app })));
    afterAll(() => server.stop());

    for (const transcript of part2.filter((t) => t.app === app)) {
      it(transcript.name, async () => {
        const result = await replay(server.target, closing(transcript));
        assertSameBytes(result.bytes, transcript.responseBytes);
        expect(result.ending).toBe('end');
      });
    }
  });
}

describe('3i runs an Express app that fails: each answered, the pool serves on', () => {
  let server: RunningStep;
  const spec = 'part2/fixtures/expressfaults.ts:app';
  beforeAll(async () => (server = await startStep('3i', ['--workers', '1'], { app: spec })));
  afterAll(() => server.stop());

  /** The status line of the answer to `request`. */
  async function statusOf(request: string): Promise<string> {
    const { bytes } = await exchange(server.target, [Buffer.from(request, 'latin1')]);
    return bytes.toString('latin1').split('\r\n')[0]!;
  }
  // Connection: close, so each answer ends with the connection (3i keeps it open otherwise).
  const GET = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
  const ECHO =
    'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n';

  it("a route that throws: Express's 500; then an answer", async () => {
    expect(await statusOf(GET('/throws'))).toBe('HTTP/1.1 500 Internal Server Error');
    expect(await statusOf(`${ECHO}Content-Length: 2\r\n\r\n{}`)).toBe('HTTP/1.1 200 OK');
  });

  it(`never answers: 500 after ${FAULT_TIMEOUT_MS} ms, a log line; then an answer`, async () => {
    expect(await statusOf(GET('/never-ends'))).toBe('HTTP/1.1 500 Internal Server Error');
    await server.line(/^fromNodeHttp: GET \/never-ends: no response head after \d+ ms$/, 'stderr');
    expect(await statusOf(`${ECHO}Content-Length: 2\r\n\r\n{}`)).toBe('HTTP/1.1 200 OK');
  });

  it("a body over the server's 1 MiB: 413; then an answer", async () => {
    expect(await statusOf(`${ECHO}Content-Length: ${2 ** 21}\r\n\r\n`)).toBe(
      'HTTP/1.1 413 Content Too Large',
    );
    expect(await statusOf(`${ECHO}Content-Length: 2\r\n\r\n{}`)).toBe('HTTP/1.1 200 OK');
  });
});
