/**
 * npm test: tsx scripts/test.ts "CHECK" ... -- TESTS...
 *
 * Runs the checks (the type check, the formatter check) beside the tests instead of before them.
 * Most of a Part 3 test is waiting (for a child to start, a connection to time out), so on two
 * cores the tests leave a core idle for much of their run; the checks fill it. They run at the
 * normal priority: the tests must pass on a busy machine anyway (issue 19), and a lower one
 * starved the checks there (at a load of 20, a tsc at nice 10 took 229 s, about 20 s of CPU).
 *
 * The tests (the command after `--`, with whatever `npm test -- ...` adds) have the terminal: their
 * progress shows as it happens. A check's output is held and printed after the tests, under its
 * command, so that nothing interleaves. The exit status is 0 when every command passed, else the
 * first failure's, in the order given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const usage = 'usage: tsx scripts/test.ts "CHECK COMMAND" ... -- TEST COMMAND [ARGS]';

/** `arg` quoted for the shell that `spawn(..., { shell: true })` runs: sh, or cmd.exe on Windows. */
function quote(arg: string): string {
  if (/^[\w./:=@%+,-]+$/.test(arg)) return arg;
  return process.platform === 'win32' ? `"${arg.replace(/"/g, '""')}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Resolves with the exit status of `child`: its code, or 1 when a signal ended it. */
async function exitOf(child: ChildProcess): Promise<number> {
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}

/** Runs `command` with its output held: resolves with its status, its output and its seconds. */
async function held(command: string): Promise<{ command: string; status: number; output: string; seconds: number }> {
  const started = performance.now();
  const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const status = await exitOf(child);
  const seconds = (performance.now() - started) / 1000;
  return { command, status, output: Buffer.concat(chunks).toString('utf8'), seconds };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const split = args.indexOf('--');
  if (split < 1 || split === args.length - 1) {
    console.error(usage);
    return 2;
  }
  const tests = spawn(args.slice(split + 1).map(quote).join(' '), { shell: true, stdio: 'inherit' });
  const checks = args.slice(0, split).map(held);
  const testsStatus = await exitOf(tests);
  const statuses: number[] = [];
  for (const check of await Promise.all(checks)) {
    const verdict = check.status === 0 ? 'passed' : `FAILED (exit status ${check.status})`;
    console.log(`${check.command}: ${verdict} in ${check.seconds.toFixed(1)} s, beside the tests`);
    if (check.output.trim() !== '') console.log(check.output.trimEnd());
    statuses.push(check.status);
  }
  return [...statuses, testsStatus].find((status) => status !== 0) ?? 0;
}

process.exitCode = await main();
