import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['part*/**/*.test.ts', 'scripts/**/*.test.ts'],
    // Socket tests wait on events, never on sleeps; this only bounds a test that hangs.
    testTimeout: 15_000,
    hookTimeout: 15_000,
  },
});
