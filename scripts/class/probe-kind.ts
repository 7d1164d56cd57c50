/**
 * Probe as a kind of check for `npm run class -- ROSTER --probe`: the corpus of
 * `npm run probe` (scripts/probe/) against each student's server, summed up as
 * three cells, one per level of requirement (MUST, SHOULD, MAY). A matrix with
 * a column per case would be 77 columns wide; a teacher wants to see who breaks
 * a MUST, and a click on the cell lists which cases and what came back.
 */
import { CORPUS, type Level, type ProbeCase } from '../probe/corpus.ts';
import { DEFAULT_TIMEOUTS, runCase, type CaseResult } from '../probe/run.ts';
import { visible } from '../lib/wire.ts';
import type { Cell, CheckKind, Verdict } from './checks.ts';

const LEVELS: readonly Level[] = ['MUST', 'SHOULD', 'MAY'];

/** The request bytes shown for a failing case, at most: enough to recognise it. */
const SHOWN_BYTES = 200;

/**
 * The probe kind. `caseMs` is each case's own limit after its last byte (probe's --timeout).
 * Cases the run has no time left for count as `timeout` on their level, never as a pass.
 */
export function probeKind(caseMs: number): CheckKind {
  const cases = CORPUS.filter((probeCase) => !probeCase.slow); // slowloris takes minutes: probe --slow
  const timeouts = { ...DEFAULT_TIMEOUTS, caseMs };
  return {
    name: 'probe',
    checks: LEVELS.map((level) => `probe ${level}`),
    // Every case may use its whole limit and the settle time; twice that, for a busy machine.
    limitMs: 2 * cases.reduce((sum) => sum + caseMs + timeouts.settleMs, 0),
    async run(target, deadline) {
      const host = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
      const results: CaseResult[] = [];
      const unrun: ProbeCase[] = [];
      for (const probeCase of cases) {
        if (Date.now() + caseMs > deadline) unrun.push(probeCase);
        else results.push(await runCase(target, probeCase, { host, path: '/' }, timeouts));
        if (results.length === 1 && results[0]!.observed.startsWith('connection refused')) {
          return LEVELS.map((level) => ({ check: `probe ${level}`, verdict: 'refused', details: [`${host}: connection refused`] }));
        }
      }
      return LEVELS.map((level) => levelCell(level, results, unrun));
    },
  };
}

/** One level's cell: pass when none of its cases failed; the failures, each with its bytes. */
function levelCell(level: Level, results: CaseResult[], unrun: ProbeCase[]): Cell {
  const mine = results.filter((result) => result.level === level);
  const failed = mine.filter((result) => result.verdict === 'fail');
  const late = unrun.filter((probeCase) => probeCase.level === level);
  const details = failed.flatMap((result) => [
    `${result.id} (${result.clause}): expected ${result.expected}; observed ${result.observed}`,
    `  sent: ${visible(result.sent.subarray(0, SHOWN_BYTES))}`,
  ]);
  if (late.length > 0) details.push(`not run, the time limit ran out: ${late.map((c) => c.id).join(', ')}`);
  const silent = failed.length > 0 && failed.every((result) => result.received.length === 0);
  const verdict: Verdict = failed.length === 0 && late.length === 0 ? 'pass' : silent && failed.length === mine.length ? 'timeout' : 'differs';
  if (verdict === 'pass') return { check: `probe ${level}`, verdict, details: [] };
  const passed = mine.length - failed.length;
  const summary = `${passed} of ${mine.length + late.length} ${level} cases pass`;
  return { check: `probe ${level}`, verdict, details: [summary, ...details] };
}
