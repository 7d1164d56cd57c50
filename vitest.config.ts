import { relative, sep } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
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

/**
 * The files that take longest, longest first, measured (scripts/probe/probe.test.ts 40 s, ...
 * scripts/telnet.test.ts 11 s, on 2 cores at a load of 15). Vitest orders a run by the durations
 * it recorded in the last one (node_modules/.vite), and without them by file size: in a fresh
 * clone (CI, a student's first `npm test`) these small files that wait on Node children started
 * last and ran on alone, 20-30 s after the rest had finished. A file missing here only starts later.
 */
const SLOWEST_FIRST = [
  'scripts/probe/probe.test.ts',
  'part3/transcripts.test.ts',
  'part3/hostile-clients.test.ts',
  'scripts/exercises/cli.test.ts',
  'part3/webserver3cd.test.ts',
  'scripts/class.test.ts',
  'scripts/exercise.test.ts',
  'scripts/record.test.ts',
  'scripts/start.test.ts',
  'part3/webserver3efg.test.ts',
  'part3/frameworks3i.test.ts',
  'scripts/telnet.test.ts',
];

/** Vitest's order when it has durations for every file; else SLOWEST_FIRST, then vitest's. */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const path = (spec: TestSpecification) => relative(this.ctx.config.root, spec.moduleId).split(sep).join('/');
    const key = (spec: TestSpecification) => `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
    if (sorted.every((spec) => this.ctx.cache.getFileTestResults(key(spec)))) return sorted; // as vitest keys them
    const projects = [...new Set(sorted.map((spec) => spec.project.name))]; // they run one after another
    const rank = (spec: TestSpecification) => {
      const at = SLOWEST_FIRST.indexOf(path(spec));
      return projects.indexOf(spec.project.name) * 1000 + (at === -1 ? SLOWEST_FIRST.length : at);
    };
    return sorted.sort((a, b) => rank(a) - rank(b)); // stable: vitest's order among the rest
  }
}

export default defineConfig({
  test: {
    sequence: { sequencer: SlowestFirst },
    // Four test files at a time on two cores: most of a Part 3 test is waiting (for a child to
    // start, a timeout to pass), not computing. Measured, npm test on Node 24, 2 cores, quiet:
    // 3 workers 61-64 s, 4 workers 55 s (about 90 s of CPU either way); the budgets inside the
    // tests come from what they measure, so they hold with two CPU hogs beside them too.
    maxWorkers: 4,
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
