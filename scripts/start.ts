/**
 * npm start: builds the course site, serves it on http://localhost:8000 and
 * prints the command of each part, so a student has everything in one place.
 *
 * Options:  --port N   (default 8000; the part servers use 8888, so both can run)
 *           --host H   (default localhost; 0.0.0.0 lets a classroom connect)
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Server } from 'node:net';
import { buildSite, describeBuild, REPO_ROOT, summarizeWarnings } from './build-docs.ts';
import { findParts, formatProblem } from './lib/lessons.ts';
import { createStaticServer } from './lib/static-server.ts';

/** The site's port: not the parts' 8888, so a student can keep both open. */
export const SITE_PORT = 8000;
export const SITE_HOST = 'localhost';

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
export function partLines(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  return findParts(root)
    .filter((part) => scripts[part] !== undefined && PART_COMMANDS[part] !== undefined)
    .map((part) => `Part ${part.slice(4)}: ${PART_COMMANDS[part]!.command.padEnd(22)}(then ${PART_COMMANDS[part]!.then})`);
}

/** One line a student can act on, for the usual reasons listen() fails. */
function explainListenError(error: NodeJS.ErrnoException, port: number, host: string): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `Port ${port} is already in use: is the site already running in another terminal? Stop it, or pick another port: npm start -- --port ${port + 1}`;
    case 'EACCES':
      return `Not allowed to listen on port ${port}: ports below 1024 need root; pick one above 1023 with --port`;
    case 'ENOTFOUND':
    case 'EADDRNOTAVAIL':
      return `Cannot listen on host '${host}': it is not an address of this machine (try localhost or 0.0.0.0)`;
    default:
      return `Cannot serve on ${host}:${port}: ${error.message}`;
  }
}

function parseOptions(args: string[]): { port: number; host: string } {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = Number(values.port ?? SITE_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  return { port, host: values.host ?? SITE_HOST };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
  // Take the port before building: if another copy is running, say so at
  // once instead of rebuilding the site under its feet.
  const outDir = join(REPO_ROOT, 'docs', 'site');
  mkdirSync(outDir, { recursive: true });
  const server = createStaticServer(outDir);
  try {
    await listen(server, port, host);
  } catch (error) {
    console.error(explainListenError(error as NodeJS.ErrnoException, port, host));
    process.exit(1);
  }

  // Same build as npm run docs, in this process. A lesson out of step with
  // the code fails `npm run docs` and `npm test`; here we still show the site,
  // because a student or a teacher mid-edit wants to read it.
  const result = buildSite({ allowDrift: true, outDir });
  if (result.problems.length > 0) {
    console.error(result.problems.map(formatProblem).join('\n\n'));
    console.error(`\nWarning: ${result.problems.length} lesson block(s) out of step with the code (npm run docs -- --fix rewrites code blocks from source).\n`);
  }
  for (const warning of summarizeWarnings(result.warnings)) console.warn(`warning: ${warning}`);
  console.log(describeBuild(result));

  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  console.log(`\nThe course site: http://${shownHost}:${actualPort}/\n`);
  for (const line of partLines(REPO_ROOT)) console.log(line);
  console.log('\nCtrl-C stops the site.');
}

// Serve only when this file is the program, not when a test imports partLines.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
