/**
 * npm run docs [-- --fix]: builds the course site into docs/site/ (scripts/site/build.ts), after
 * the lesson/code drift check; `--fix` first rewrites drifted lesson blocks from source.
 * Exit 1 when a lesson is out of step with the code (the site is not built), 2 on a bad option.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSite, describeBuild, describeEdited, summarizeWarnings } from './site/build.ts';
import { formatProblem } from './site/lessons.ts';

function main(): void {
  let fix = false;
  try {
    fix = parseArgs({ args: process.argv.slice(2), options: { fix: { type: 'boolean' } } }).values.fix ?? false;
  } catch (error) {
    console.error(`${(error as Error).message}\nUsage: npm run docs [-- --fix]`);
    process.exit(2);
  }
  const result = buildSite({ fix });
  for (const problem of result.fixed) console.log(`fixed ${problem.message.replace(/ but differs from the source$/, '')}`);
  if (result.problems.length > 0) {
    console.error(result.problems.map(formatProblem).join('\n\n'));
    const fixable = result.problems.filter((p) => p.fixable).length;
    console.error(
      `\n${result.problems.length} lesson block${result.problems.length === 1 ? '' : 's'} out of step with the code: the site was not built.` +
        (fixable ? ` ${fixable} can be rewritten from source with: npm run docs -- --fix` : ''),
    );
    process.exit(1);
  }
  for (const warning of summarizeWarnings(result.warnings)) console.warn(`warning: ${warning}`);
  if (result.edited.length > 0) console.log(describeEdited(result.edited));
  console.log(describeBuild(result));
  console.log(`Open ${pathToFileURL(join(result.outDir, 'index.html')).href}, or run npm start to serve it on http://localhost:8000`);
}

main();
