/**
 * The hostile round of hostile-clients.test.ts (part3/fixtures/hostile-round.ts) against 3f, the
 * grim reaper, and 3g, which limits its children: each round starts about twenty Node children,
 * so `npm run test:stress` runs these two, and npm test the rounds against 3c and 3h.
 */
import { afterEach, describe, it as vitestIt } from 'vitest';
import { type RunningStep } from '../scripts/lib/running-steps.ts';
import { RESPONSE } from '../part1/webserver1.ts';
import { hostileRound, type HostileStep } from './fixtures/hostile-round.ts';
import { exercisedIt } from '../scripts/testing/exercised.ts';

// A failure a started exercise explains (it changed the course code this test runs) is skipped,
// naming it (scripts/testing/exercised.ts); on a clean tree every failure stands.
const it = exercisedIt(vitestIt, ['part1/', 'part2/', 'part3/']);

const STEPS: HostileStep[] = [
  { step: '3f', args: ['--sleep', '0'], app: undefined, answer: RESPONSE },
  { step: '3g', args: ['--sleep', '0'], app: undefined, answer: RESPONSE },
];

let server: RunningStep | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe.each(STEPS)('$step: a child per connection, whatever the client does', (step) => {
  it('empty, reset, half-closed, silent, trickling, stuck: no child left, descriptors back, next client answered', async () => {
    await hostileRound(step, (running) => (server = running));
  });
});
