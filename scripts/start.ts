/**
 * npm start: builds the course site, serves it on http://localhost:8000 with
 * the course's own server, and prints the command of each part, so a student
 * has everything in one place.
 *
 * The site is served by Part 3's pre-forked pool (webserver3i) running the
 * static-file gateway application of Part 2 (part2/apps/static.ts), both as
 * bundled JavaScript: the course serves itself, and every page's footer says
 * which worker process answered.
 *
 * Options:  --port N   (default 8000; the part servers use 8888, so both can run)
 *           --host H   (default localhost; 0.0.0.0 lets a classroom connect)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSite, describeBuild, describeEdited, summarizeWarnings } from './site/build.ts';
import { REPO_ROOT } from './lib/repo.ts';
import { findParts, formatProblem } from './site/lessons.ts';
import { startPool } from './lib/pool.ts';

/** The site's port: not the parts' 8888, so a student can keep both open. */
const SITE_PORT = 8000;
const SITE_HOST = 'localhost';

/** What to type for each part that exists, and how to talk to it once it runs. */
const PART_COMMANDS: Record<string, { command: string; then: string }> = {
  part1: { command: 'npm run part1', then: 'telnet localhost 8888' },
  part2: { command: 'npm run part2 -- hello', then: 'curl -v http://localhost:8888/hello' },
  part3: { command: 'npm run part3 -- 3a', then: 'curl -v http://localhost:8888/hello' },
};

/**
 * One line per part that has a lesson and an npm script:
 * `Part 1: npm run part1   (then telnet localhost 8888)`.
 */
function partLines(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  return findParts(root)
    .filter((part) => scripts[part] !== undefined && PART_COMMANDS[part] !== undefined)
    .map((part) => `Part ${part.slice(4)}: ${PART_COMMANDS[part]!.command.padEnd(26)}(then ${PART_COMMANDS[part]!.then})`);
}

function parseOptions(args: string[]): { port: number; host: string } {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = Number(values.port ?? SITE_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  return { port, host: values.host ?? SITE_HOST };
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\nUsage: npm start [-- --port N] [--host H]`);
    process.exit(2);
  }
  const { port, host } = options;
  if (host === '0.0.0.0' || host === '::') {
    console.error(`Warning: serving on every network interface (${host}): anyone who can reach this machine can read the site.`);
  }

  // Same build as npm run docs, in this process. A lesson out of step with
  // the code fails `npm run docs` and `npm test`; here we still show the site,
  // because a student or a teacher mid-edit wants to read it.
  const result = buildSite({ allowDrift: true, outDir: join(REPO_ROOT, 'docs', 'site') });
  if (result.problems.length > 0) {
    console.error(result.problems.map(formatProblem).join('\n\n'));
    console.error(`\nWarning: ${result.problems.length} lesson block(s) out of step with the code (npm run docs -- --fix rewrites code blocks from source).\n`);
  }
  for (const warning of summarizeWarnings(result.warnings)) console.warn(`warning: ${warning}`);
  if (result.edited.length > 0) console.log(describeEdited(result.edited));
  console.log(describeBuild(result));

  let pool;
  try {
    pool = await startPool(port, host);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  console.log(`\nThe course site: http://${shownHost}:${pool.port}/   (served by the course's own pre-forked server, webserver3i)\n`);
  for (const line of partLines(REPO_ROOT)) console.log(line);
  console.log('\nCtrl-C stops the site.');
}

await main();
