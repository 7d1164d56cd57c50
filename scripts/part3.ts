/**
 * npm run part3 -- STEP [args]: runs a step of Part 3 as plain JavaScript.
 *
 *   npm run part3 -- 3c                        webserver3c on port 8888
 *   npm run part3 -- 3h hello --port 8080      3h and 3i take MODULE:EXPORT, as Part 2 does
 *   npm run part3:client -- --max-conns 128    part3/client3.ts, the load client
 *   npm run part3 -- baseline                  scripts/measure/http-baseline.ts: node:http, to compare with
 *   npm run part3                              lists the steps
 *
 * Why a runner: a child of a process started by tsx would compile TypeScript before taking its
 * first connection. So this bundles the step with esbuild (scripts/lib/bundle.ts says why and
 * how), bundles the application named by MODULE:EXPORT the same way, and runs `node` on the
 * JavaScript with stdio inherited and signals passed on.
 */
import { spawn } from 'node:child_process';
import { buildProgram, prepareArguments, programName, usage } from './lib/bundle.ts';

// #region main
async function main(): Promise<void> {
  const [requested, ...args] = process.argv.slice(2);
  const name = requested === undefined ? undefined : programName(requested);
  if (!name) {
    console.error(requested === undefined ? usage() : `No step ${requested}.\n\n${usage()}`);
    process.exit(2);
  }
  let script: string;
  let prepared: string[];
  try {
    script = await buildProgram(name);
    prepared = await prepareArguments(name, args);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  // No loader flags: the step runs, and forks, as plain JavaScript.
  const child = spawn(process.execPath, [script, ...prepared], { stdio: 'inherit' });
  // A Ctrl-C in the terminal reaches every process of the group at once; a
  // `kill PID` of this runner reaches only us, so pass it on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : 15)));
}
// #endregion

await main();
