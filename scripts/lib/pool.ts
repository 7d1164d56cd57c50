/**
 * The course's own pre-forked pool (webserver3i) serving a gateway application, bundled and
 * started as a child: `npm start` serves the site with it, `npm run class -- ROSTER --watch` its
 * live page.
 */
import { spawn } from 'node:child_process';
import { buildApplication, buildProgram } from './bundle.ts';
import { REPO_ROOT } from './repo.ts';
import { bannerPort } from './running-steps.ts';

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
