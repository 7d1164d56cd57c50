import { describe, expect, it } from 'vitest';
import { measureGatewayCost, REQUESTS } from './gateway-cost.ts';

describe('gateway-cost: Part 2b without its socket', () => {
  it('answers every request fed to one connection with one write (head and body together)', async () => {
    for (const request of Object.values(REQUESTS)) {
      const { nsPerRequest, writesPerRequest } = await measureGatewayCost(request, 2_000);
      expect(writesPerRequest).toBe(1);
      expect(nsPerRequest).toBeGreaterThan(0);
    }
  });
});
