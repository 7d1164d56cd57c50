/**
 * Time budgets that come from the machine the tests run on, not from how fast
 * the machine they were written on was. A test first times one exchange of
 * the kind it is about (a baseline: for Part 3, a Node child started and
 * answering), then allows a burst of them a multiple of that. A busy laptop
 * (a video call, a CPU hog on each core, seven other test runs) slows the
 * baseline and the burst alike, so the budget grows with the load; a server
 * that never answers, or a child that outlives its connection, still fails it.
 */

/**
 * No budget is shorter than this, in ms. The baseline is timed once, and the load can rise after
 * it (on Node 24 with a CPU hog on each core, a burst of 20 Node children in 3c once waited past
 * 40 times its warm-up). 30 s is still far inside vitest's hang bound (120 s), so a server that
 * never answers, or a child that outlives its connection, fails all the same.
 */
export const MIN_BUDGET_MS = 30_000;

/** Runs `work` and resolves with its result and how long it took, in ms (performance.now()). */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/**
 * A generous budget, in ms, for `count` exchanges that each took `baselineMs` alone: all of them
 * one after another, twice over, and never less than {@link MIN_BUDGET_MS}. Generous on purpose:
 * a concurrent server is far faster than one after another, and a test that asserts concurrency
 * compares the timings it measured instead (part3/webserver3cd.test.ts).
 */
export function budgetFor(baselineMs: number, count = 1): number {
  return Math.max(MIN_BUDGET_MS, Math.ceil(2 * count * baselineMs));
}

/**
 * Resolves with the results of `work` once every promise has settled, as long as one settles at
 * least every `stallMs`; else rejects, naming `what` and how many had settled. For a burst whose
 * clients wait their turn (3g pauses the connections past its limit): on a busy machine the
 * whole burst may take long, but a server that stops answering is caught `stallMs` after its
 * last answer. The promises should not reject (wire.ts exchange() never does).
 */
export function withProgress<T>(work: Array<Promise<T>>, stallMs: number, what: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    let settled = 0;
    const stalled = () => reject(new Error(`${what}: none settled for ${stallMs} ms, ${settled} of ${work.length} had`));
    let timer = setTimeout(stalled, stallMs);
    for (const promise of work) {
      void promise.finally(() => {
        settled++;
        clearTimeout(timer);
        if (settled < work.length) timer = setTimeout(stalled, stallMs);
      });
    }
    Promise.all(work).then(
      (results) => (clearTimeout(timer), resolve(results)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}
