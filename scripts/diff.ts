/**
 * npm run diff -- STEP STEP [--context N]
 *
 * Shows what changed from one step to the next, as a coloured unified diff:
 * `npm run diff -- 3f 3g`, `npm run diff -- 1 1b`. Steps are 1, 1b, 2, 2b and 3a ... 3i.
 * The lessons quote these diffs in ```diff diff=3f..3g``` blocks, which the
 * drift check keeps equal to this output.
 */
import { parseArgs } from 'node:util';
import { stepDiff } from './lib/steps.ts';
import { COLOR, stopQuietlyOnEpipe } from './lib/cli.ts';
import { REPO_ROOT } from './lib/repo.ts';

stopQuietlyOnEpipe();

function paint(line: string): string {
  if (!COLOR) return line;
  if (line.startsWith('+++') || line.startsWith('---')) return `\x1b[1m${line}\x1b[0m`;
  if (line.startsWith('+')) return `\x1b[32m${line}\x1b[0m`;
  if (line.startsWith('-')) return `\x1b[31m${line}\x1b[0m`;
  if (line.startsWith('@@')) return `\x1b[36m${line}\x1b[0m`;
  return line;
}

try {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { context: { type: 'string', default: '3' } } });
  if (positionals.length !== 2) throw new Error('usage: npm run diff -- STEP STEP [--context N]   (e.g. npm run diff -- 3f 3g)');
  const text = stepDiff(REPO_ROOT, positionals[0]!, positionals[1]!, Number(values.context));
  console.log(text ? text.split('\n').map(paint).join('\n') : `No difference between ${positionals[0]} and ${positionals[1]}.`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 2;
}
