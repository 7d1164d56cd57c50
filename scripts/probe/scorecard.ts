/**
 * The probe's scorecard: results grouped by the clause they test, in the
 * corpus's order; under each failure what was expected and what came back,
 * and the bytes both ways with CR and LF visible; then a count per level.
 */
import { visible } from '../lib/wire.ts';
import type { CaseResult, ProbeReport } from './run.ts';

/** The title of each section the corpus cites, so a reader need not look it up. */
const SECTIONS: Record<string, string> = {
  'RFC 9112 §2.1': 'message format',
  'RFC 9112 §2.2': 'message parsing',
  'RFC 9112 §2.3': 'HTTP version',
  'RFC 9112 §3': 'request line',
  'RFC 9112 §3.2': 'Host',
  'RFC 9112 §3.2.2': 'absolute-form',
  'RFC 9112 §5.1': 'field line parsing',
  'RFC 9112 §5.2': 'obsolete line folding',
  'RFC 9112 §6.1': 'Transfer-Encoding',
  'RFC 9112 §6.3': 'message body length',
  'RFC 9112 §7': 'transfer codings',
  'RFC 9112 §7.1': 'chunked transfer coding',
  'RFC 9112 §7.1.1': 'chunk extensions',
  'RFC 9112 §7.1.2': 'chunked trailer section',
  'RFC 9112 §9.3': 'persistence',
  'RFC 9112 §9.5': 'failures and timeouts',
  'RFC 9110 §5.1': 'field names',
  'RFC 9110 §5.4': 'field limits',
  'RFC 9110 §5.5': 'field values',
  'RFC 9110 §5.6.3': 'whitespace',
  'RFC 9110 §8.6': 'Content-Length',
  'RFC 9110 §9.1': 'methods',
  'RFC 9110 §15.5.14': '413 Content Too Large',
  'RFC 9110 §15.6.6': '505 HTTP Version Not Supported',
};

/** Most bytes of a request or response shown under a failure; a 64 KiB head is cut. */
const SHOWN_BYTES = 600;

/** Options of {@link formatScorecard}. */
export interface ScorecardStyle {
  /** Colours the verdicts (ANSI); default: none. */
  paint?: (code: number, text: string) => string;
}

/** The scorecard as lines of text, ready to print. */
export function formatScorecard(report: ProbeReport, style: ScorecardStyle = {}): string[] {
  const paint = style.paint ?? ((_code: number, text: string) => text);
  const { host, port } = report.target;
  const lines = [`Probe of ${host}:${port}: ${report.results.length} cases, one connection each.`];
  const clauses = [...new Set(report.results.map((result) => result.clause))];
  for (const clause of clauses) {
    lines.push('', SECTIONS[clause] ? `${clause}, ${SECTIONS[clause]}` : clause);
    for (const result of report.results.filter((each) => each.clause === clause)) {
      const mark = { pass: paint(32, 'PASS'), fail: paint(31, 'FAIL'), skip: paint(2, 'SKIP') }[result.verdict];
      lines.push(`  ${mark}  ${result.level.padEnd(6)}  ${result.id.padEnd(27)} ${result.title}`);
      if (result.verdict !== 'pass') lines.push(...describeFailure(result));
    }
  }
  lines.push('', ...summarize(report.results));
  return lines;
}

/** The lines under a failed (or skipped) case: expected, observed, and the bytes both ways. */
function describeFailure(result: CaseResult): string[] {
  const indent = ' '.repeat(8);
  const lines = [`${indent}expected  ${result.expected}`, `${indent}observed  ${result.observed}`];
  if (result.verdict === 'skip') return lines;
  for (const [label, bytes] of [['sent', result.sent], ['received', result.received]] as const) {
    const shown = visible(bytes.subarray(0, SHOWN_BYTES)).split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
    if (bytes.length > SHOWN_BYTES) shown.push(`... (${bytes.length - SHOWN_BYTES} more bytes)`);
    if (shown.length === 0) shown.push('(nothing)');
    shown.forEach((line, i) => lines.push(`${indent}${(i === 0 ? label : '').padEnd(8)}  ${line}`));
  }
  return lines;
}

/** One line per level (`MUST    38 of 40 passed`), then the verdict that sets the exit status. */
export function summarize(results: readonly CaseResult[]): string[] {
  const lines: string[] = [];
  for (const level of ['MUST', 'SHOULD', 'MAY'] as const) {
    const of = results.filter((result) => result.level === level);
    const passed = of.filter((result) => result.verdict === 'pass').length;
    const skipped = of.filter((result) => result.verdict === 'skip').length;
    lines.push(`${level.padEnd(6)}  ${passed} of ${of.length - skipped} passed${skipped ? ` (${skipped} skipped)` : ''}`);
  }
  const failed = results.filter((result) => result.level === 'MUST' && result.verdict === 'fail').map((result) => result.id);
  lines.push(failed.length === 0 ? 'Every MUST passed.' : `${failed.length} MUST case${failed.length === 1 ? '' : 's'} failed: ${failed.join(', ')}`);
  return lines;
}
