import { defineConfig } from 'vitest/config';

// Socket tests wait on events, never on sleeps; the timeouts only bound a test that hangs.
const timeouts = { testTimeout: 15_000, hookTimeout: 15_000 };
const BROWSER_TEST = 'scripts/site/browser.test.ts';

export default defineConfig({
  test: {
    // Three test files at a time on two cores: most of a Part 3 test is waiting (for a child to
    // start, a timeout to pass), not computing. Measured: 1 worker 109 s, 3 workers 55 s, 4 workers
    // 58 s with timing tests starting to miss (2 cores, idle).
    maxWorkers: 3,
    projects: [
      { test: { name: 'course', include: ['part*/**/*.test.ts', 'scripts/**/*.test.ts'], exclude: [BROWSER_TEST], ...timeouts } },
      // The browser test runs after the others, not beside them: Chromium's CPU would
      // otherwise slow the socket tests that compare who was answered first.
      { test: { name: 'browser', include: [BROWSER_TEST], sequence: { groupOrder: 1 }, ...timeouts } },
    ],
  },
});
