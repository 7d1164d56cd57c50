import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { loadTranscripts, replay, writesOf, type Transcript } from '../scripts/lib/transcripts.ts';
import { startStep, type RunningStep } from '../scripts/lib/running-steps.ts';
import { assertSameBytes, type Target } from '../scripts/lib/wire.ts';
import { RESPONSE } from './plumbing.ts';

// These tests hold the course's bytes: a failure an exercise the student started explains is
// skipped, naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const transcripts = loadTranscripts(fileURLToPath(new URL('./transcripts', import.meta.url)));
const plain = transcripts.filter((transcript) => !transcript.app);
const gateway = transcripts.filter((transcript) => transcript.app);

/** Options that make each step answer at once: no sleeping child, no busy parent. */
const QUICK: Record<string, string[]> = {
  '3b': ['--sleep', '0'],
  '3c': ['--sleep', '0'],
  '3e': ['--busy', '0'],
  '3f': ['--sleep', '0'],
};

/**
 * Sends a transcript's request as replay() does, and resolves once `count`
 * bytes have come back, or the server closed, or 10 s passed. For 3d, whose
 * clients never see the end of the stream while the parent lives.
 */
function replayUntil(
  target: Target,
  transcript: Transcript,
  count: number,
): Promise<{ bytes: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ ...target, noDelay: true, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let ended = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), ended });
    };
    const timer = setTimeout(done, 10_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= count) done();
    });
    socket.on('end', () => {
      ended = true;
      done();
    });
    socket.on('error', done); // the comparison below shows what did arrive
    socket.on('connect', async () => {
      for (const [i, bytes] of writesOf(transcript).entries()) {
        if (i > 0 && transcript.send !== 'whole')
          await sleep(transcript.send === 'bytes' ? 2 : transcript.pauseMs);
        socket.write(bytes);
      }
      if (transcript.halfClose) socket.end();
    });
  });
}

it('the steps answer with the bytes of Part 1', () => {
  assertSameBytes(plain[0]!.responseBytes, RESPONSE, 'hello-world.response');
});

for (const step of ['3a', '3b', '3c', '3d', '3e', '3f', '3g']) {
  describe(`${step}: golden transcripts, byte for byte`, () => {
    let server: RunningStep;
    beforeAll(async () => {
      server = await startStep(step, QUICK[step]);
    });
    afterAll(() => server?.stop());

    for (const transcript of plain) {
      it(`${transcript.name}: ${JSON.stringify(transcript.requestBytes.toString('latin1').split(/\r?\n/)[0])}`, async () => {
        if (step === '3d') {
          const result = await replayUntil(
            server.target,
            transcript,
            transcript.responseBytes.length,
          );
          assertSameBytes(result.bytes, transcript.responseBytes);
          expect(
            result.ended,
            'a 3d client never sees the end while the parent holds the socket',
          ).toBe(false);
          return;
        }
        const result = await replay(server.target, transcript);
        assertSameBytes(result.bytes, transcript.responseBytes);
        expect(result.ending).toBe('end');
      });
    }
  });
}

// 3i serves persistent connections (Part 2's webserver2b.ts): its transcripts are those of 2b.
// environ's is left out: a worker says wsgi.multiprocess = true.
const persistent = loadTranscripts(
  fileURLToPath(new URL('../part2/transcripts/persistent', import.meta.url)),
);
for (const app of [...new Set(persistent.map((transcript) => transcript.app!))].filter(
  (app) => app !== 'environ',
)) {
  describe(`3i running ${app}: persistent connections, byte for byte`, () => {
    let server: RunningStep;
    beforeAll(async () => {
      server = await startStep('3i', ['--workers', '1'], { app });
    });
    afterAll(() => server?.stop());

    for (const transcript of persistent.filter((candidate) => candidate.app === app)) {
      it(`${transcript.name}: ${transcript.parts.length} exchange(s)`, async () => {
        const result = await replay(server.target, transcript);
        assertSameBytes(result.bytes, transcript.responseBytes);
        expect(result.closedAfter).toBeUndefined();
        expect(result.ending).toBe('end');
      });
    }
  });
}

for (const step of ['3h']) {
  for (const app of [...new Set(gateway.map((transcript) => transcript.app!))]) {
    describe(`${step} running ${app}: golden transcripts, byte for byte`, () => {
      let server: RunningStep;
      beforeAll(async () => {
        server = await startStep(step, [], { app });
      });
      afterAll(() => server?.stop());

      for (const transcript of gateway.filter((candidate) => candidate.app === app)) {
        it(`${transcript.name}: ${JSON.stringify(transcript.requestBytes.toString('latin1').split(/\r?\n/)[0])}`, async () => {
          const result = await replay(server.target, transcript);
          assertSameBytes(result.bytes, transcript.responseBytes);
          expect(result.ending).toBe('end');
        });
      }
    });
  }
}
