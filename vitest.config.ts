import { defineConfig } from 'vitest/config';

// Socket tests wait on events, never on sleeps; a budget inside a test comes from what it
// measures (scripts/testing/budget.ts). These timeouts only bound a test that hangs, so they are
// generous: on a busy machine a Part 3 test runs ten times slower (client3's 60 connections to
// 3g: 48 s at a load of 20 on 2 cores, 3-5 s quiet).
const timeouts = { testTimeout: 120_000, hookTimeout: 120_000 };
/** The site, and the class's live page, in a real browser: `npm run test:site`, not `npm test`. */
const BROWSER_TESTS = ['scripts/site/browser.test.ts', 'scripts/class/browser.test.ts'];
/** The heaviest bursts (hundreds of Node children at once): `npm run test:stress`, not `npm test`. */
const STRESS_TESTS = '**/*.stress.test.ts';

export default defineConfig({
  test: {
    // Three test files at a time on two cores: most of a Part 3 test is waiting (for a child to
    // start, a timeout to pass), not computing. Measured: 1 worker 109 s, 3 workers 55 s, 4 workers
    // 58 s with timing tests starting to miss (2 cores, idle).
    maxWorkers: 3,
    projects: [
      // Workers that keep the modules they have loaded from one test file to the next (isolate
      // false): the whole project took about 100 s of CPU where a fresh process per file took
      // about 160 s (2 cores, loaded). A test file must therefore leave no state behind it (a
      // server left listening, a spy not restored, a changed process.env). Processes, not
      // threads: a bundle's temporary file is named by process.pid (scripts/part3.ts bundle()).
      { test: { name: 'course', include: ['part*/**/*.test.ts', 'scripts/**/*.test.ts'], exclude: [...BROWSER_TESTS, STRESS_TESTS], pool: 'forks', isolate: false, ...timeouts } },
      // The course site in Chromium (axe on every page, light and dark, at two widths) and the
      // class's live page: minutes of CPU, so `npm run test:site`, not `npm test`; .ci/run runs both.
      { test: { name: 'site', include: BROWSER_TESTS, ...timeouts } },
      // One file at a time: each burst is meant to load the machine by itself. 3h's mixed burst
      // (390 Node starts at once) took more than 300 s at a load average of 50-60 (3g's, 241 s).
      { test: { name: 'stress', include: [STRESS_TESTS], maxWorkers: 1, testTimeout: 600_000, hookTimeout: 120_000 } },
    ],
  },
});
