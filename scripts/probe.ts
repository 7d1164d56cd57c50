/**
 * npm run probe -- --target HOST:PORT [--path /] [--timeout SECONDS] [--slow SECONDS]
 *
 * Holds a server (ours, or yours in any language) to the rules of HTTP/1.1
 * where servers are most often lenient: framing by Content-Length and
 * Transfer-Encoding, the chunked grammar, request smuggling pairs, the request
 * line, field syntax, Host, limits, and requests that arrive in pieces. Each
 * case is tagged MUST, SHOULD or MAY with its RFC clause, and judged by its
 * verdict (a 400, a 501, a close, a 2xx), not by exact bytes: that is what
 * `npm run compare` does. Prints a scorecard grouped by clause, with the bytes
 * sent and received, CR and LF visible, under each failure.
 * The corpus is scripts/probe/corpus.ts; guide: docs/compare.md.
 * Exit status: 0 when every MUST case passed, 1 when one failed, 2 on bad
 * usage or when nothing listens.
 */
import { parseArgs } from 'node:util';
import { paint, stopQuietlyOnEpipe } from './lib/cli.ts';
import { formatScorecard } from './probe/scorecard.ts';
import { runProbe } from './probe/run.ts';
import { parseTarget } from './lib/compare.ts';

const usage = 'usage: npm run probe -- --target HOST:PORT [--path /] [--timeout SECONDS] [--slow SECONDS]';

stopQuietlyOnEpipe();

/** A number of seconds from the command line, in ms; undefined when it is not a number >= 0. */
function seconds(text: string): number | undefined {
  const ms = Number(text) * 1000;
  return text.trim() !== '' && ms >= 0 ? ms : undefined;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        target: { type: 'string' },
        path: { type: 'string', default: '/' },
        // Per case, after its last byte: a server that answers at all answers well within it.
        timeout: { type: 'string', default: '2' },
        // Off by default: a slowloris case takes as long as it says.
        slow: { type: 'string', default: '0' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const caseMs = seconds(values.timeout!);
  const slowMs = seconds(values.slow!);
  if (!values.target || caseMs === undefined || caseMs === 0 || slowMs === undefined || !values.path!.startsWith('/')) {
    console.error(`${values.target ? '--timeout, --slow or --path is not right' : '--target is missing'}\n${usage}`);
    return 2;
  }
  try {
    const report = await runProbe({ ...parseTarget(values.target), path: values.path, timeouts: { caseMs, slowMs } });
    for (const line of formatScorecard(report, { paint })) console.log(line);
    return report.mustPassed ? 0 : 1;
  } catch (error) {
    console.error((error as Error).message);
    return 2; // nothing listening, or a target that is not HOST:PORT
  }
}

process.exitCode = await main();
