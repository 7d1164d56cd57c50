/**
 * npm run bench [-- --only part2,3i] [--quick] [--rounds N] [--update] [--out DIR]
 *
 * Measures the course's concurrency models under the same load (scripts/measure/bench.ts says
 * which, and how), prints the table, and writes the figures as JSON and a chart to .bench/
 * (ignored by git), or to DIR with --out. With --update, a full run writes them to
 * docs/bench/bench.json and docs/diagrams/part3-bench.svg instead, the committed figures the
 * Part 3 lesson shows; then `npm run docs -- --fix` brings the lesson's table in step.
 * Exit 2 on a bad option. Run it on a quiet machine, and read ratios, not absolute numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { benchTable, chart } from './lib/bench-figures.ts';
import { REPO_ROOT } from './lib/repo.ts';
import { runBench } from './measure/bench.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, update: { type: 'boolean', default: false }, out: { type: 'string' }, rounds: { type: 'string', default: '1' } } });
const only = values.only?.split(',');
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a whole number above 0, not '${values.rounds}'`);
if (values.update && (values.quick || only || values.out)) fail('--update rewrites the committed figures from a full run: leave out --quick, --only and --out');

let results;
try {
  results = await runBench({ only, rounds, quick: values.quick });
} catch (error) {
  fail((error as Error).message);
}
console.log(`\n${benchTable(results)}`);
// By default into .bench/ (ignored): following the lesson leaves the working tree clean.
const outDir = values.out ?? join(REPO_ROOT, '.bench');
const [jsonFile, svgFile] = values.update
  ? [join(REPO_ROOT, 'docs', 'bench', 'bench.json'), join(REPO_ROOT, 'docs', 'diagrams', 'part3-bench.svg')]
  : [join(outDir, 'bench.json'), join(outDir, 'part3-bench.svg')];
for (const file of [jsonFile, svgFile]) mkdirSync(dirname(file), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(svgFile, chart(results));
console.log(`\nWrote ${relative(process.cwd(), jsonFile)} and ${relative(process.cwd(), svgFile)}`);
if (values.update) console.log("Now run npm run docs -- --fix: it rewrites the Part 3 lesson's table from the new figures.");
