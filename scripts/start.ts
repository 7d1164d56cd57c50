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
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSite, describeBuild, describeEdited, REPO_ROOT, summarizeWarnings } from './site/build.ts';
import { findParts, formatProblem } from './site/lessons.ts';
import { bannerPort, buildApplication, buildProgram } from './part3.ts';

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
    .map((part) => `Part ${part.slice(4)}: ${PART_COMMANDS[part]!.command.padEnd(26)}(then ${PART_COMMANDS[part]!.then})`);
}

function parseOptions(args: string[]): { port: number; host: string } {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = Number(values.port ?? SITE_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  return { port, host: values.host ?? SITE_HOST };
}

/** What else than the site a pool may serve (npm run class -- ROSTER --watch serves its page). */
export interface PoolOptions {
  /** The gateway application, MODULE:EXPORT. Default: the static-file app (the site). */
  app?: string;
  /** Added to the pool's environment (the app reads its folder from it). */
  env?: Record<string, string>;
  /** Named in the message when the port is taken: what it serves, the command before another port. */
  what?: { name: string; retry: string };
}

/**
 * Starts webserver3i with the static-file application on `port`, resolves
 * with the port once every worker accepts. Rejects with one line a student
 * can act on when the pool does not come up (most often: the port is taken).
 */
export async function startPool(port: number, host: string, options: PoolOptions = {}): Promise<{ port: number; stop: () => void }> {
  const server = await buildProgram('3i');
  const app = await buildApplication(options.app ?? 'part2/apps/static.ts:app');
  const { name, retry } = options.what ?? { name: 'the site', retry: 'npm start -- --port' };
  const env = { ...process.env, ...options.env };
  const pool = spawn(process.execPath, [server, app, '--port', String(port), '--host', host, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT, env });
  let stderr = '';
  pool.stderr!.on('data', (chunk) => (stderr += chunk));
  const actual = await bannerPort(pool, () =>
    new Error(/EADDRINUSE|already in use/.test(stderr)
      ? `Port ${port} is already in use: is ${name} already running in another terminal? Stop it, or pick another port: ${retry} ${port + 1}`
      : `The server of ${name} did not start:\n${stderr.trim()}`),
  );
  pool.stderr!.pipe(process.stderr); // from now on, the pool's own messages (a worker replaced, ...)
  pool.stdout!.resume();
  pool.on('exit', (code) => process.exit(code ?? 1));
  // Ctrl-C stops the pool at once; SIGTERM lets it drain (webserver3i's banner says how).
  const stop = (signal: NodeJS.Signals) => () => pool.kill(signal);
  process.on('SIGINT', stop('SIGINT'));
  process.on('SIGTERM', stop('SIGTERM'));
  whenOrphaned(stop('SIGTERM'));
  return { port: actual, stop: () => pool.kill('SIGTERM') };
}

/**
 * Calls `stop` once this process loses its parent. `kill PID` of `npm start`
 * sends npm a SIGTERM, and npm passes it to the shell that runs this script
 * (package.json runs it with `node --import tsx`, so that no tsx process sits
 * between). bash and zsh have replaced themselves with us, and the SIGTERM
 * reaches us; dash, /bin/sh on Debian and Ubuntu, dies of it without passing
 * it on, and we would serve on, holding the port, with nobody to stop us
 * but a kill. A parent gone is our SIGTERM. Checked twice a second.
 */
function whenOrphaned(stop: () => void): void {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    stop();
  }, 500);
  watch.unref(); // the pool keeps this process alive, not the watch
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

// Serve only when this file is the program, not when a test imports partLines.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
