import { fileURLToPath } from 'node:url';
import { describe, expect, it as vitestIt, vi } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { loadTranscripts, replay } from '../scripts/lib/transcripts.ts';
import { startGateway } from '../scripts/lib/servers.ts';
import { assertSameBytes } from '../scripts/lib/wire.ts';
import { loadApplication } from './loader.ts';

// These tests hold the course's bytes: a failure an exercise the student started explains is
// skipped, naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part2/']);

const transcripts = loadTranscripts(fileURLToPath(new URL('./transcripts', import.meta.url)));
const persistent = loadTranscripts(
  fileURLToPath(new URL('./transcripts/persistent', import.meta.url)),
);

/**
 * What an application logs with console.error for a transcript, where it logs: Koa prints the
 * stack of an error it answered with a 4xx it does not expose (koa/lib/application.js onerror).
 * The test holds the log to it instead of letting a passing run print a stack trace.
 */
const LOGGED: Record<string, RegExp> = {
  'koaapp-malformed': /^\s+SyntaxError: Unexpected end of JSON input\n\s+at JSON\.parse/m,
};

describe('golden transcripts, replayed byte for byte', () => {
  for (const transcript of transcripts) {
    it(
      `${transcript.app}: ${transcript.name}: ` +
        `${JSON.stringify(transcript.requestBytes.toString('latin1').split(/\r?\n/)[0])}`,
      async () => {
        const gateway = await startGateway(await loadApplication(transcript.app ?? 'hello'));
        const logged = LOGGED[transcript.name];
        const errorLog = logged
          ? vi.spyOn(console, 'error').mockImplementation(() => {})
          : undefined;
        try {
          const result = await replay(gateway.target, transcript);
          assertSameBytes(result.bytes, transcript.responseBytes);
          expect(result.ending).toBe('end');
          if (logged)
            expect(errorLog!.mock.calls.map((args) => args.join(' ')).join('\n')).toMatch(logged);
        } finally {
          errorLog?.mockRestore();
          await gateway.close();
        }
      },
    );
  }
});

describe('webserver2b.ts: several exchanges on one connection, replayed byte for byte', () => {
  for (const transcript of persistent) {
    const exchanges = `${transcript.parts.length} exchange(s)`;
    it(`${transcript.app}: ${transcript.name}: ${exchanges}`, async () => {
      const app = await loadApplication(transcript.app ?? 'hello');
      const gateway = await startGateway(app, {}, true);
      try {
        const result = await replay(gateway.target, transcript);
        assertSameBytes(result.bytes, transcript.responseBytes);
        expect(result.closedAfter, 'the server closed before the last exchange').toBeUndefined();
        expect(result.ending).toBe('end'); // the last request says Connection: close
      } finally {
        await gateway.close();
      }
    });
  }
});
