import { defineConfig } from 'vitest/config';

// Socket tests wait on events, never on sleeps; the timeouts only bound a test that hangs.
const timeouts = { testTimeout: 15_000, hookTimeout: 15_000 };
const BROWSER_TEST = 'scripts/site/browser.test.ts';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'course', include: ['part*/**/*.test.ts', 'scripts/**/*.test.ts'], exclude: [BROWSER_TEST], ...timeouts } },
      // The browser test runs after the others, not beside them: Chromium's CPU would
      // otherwise slow the socket tests that compare who was answered first.
      { test: { name: 'browser', include: [BROWSER_TEST], sequence: { groupOrder: 1 }, ...timeouts } },
    ],
  },
});
