/**
 * Starting a server to measure (npm run bench, idle-connections): on a free
 * port of 127.0.0.1, its port read from the banner every course server prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { bannerPort } from '../lib/running-steps.ts';

/**
 * Runs `program` (default: this Node) with `args` plus `--port 0 --host 127.0.0.1`, waits for
 * its "Serving HTTP on port N" banner, and resolves with the process and N. Its log keeps being
 * drained, or a busy server would block on a full pipe; its stderr goes to ours.
 * @throws Error when it exits before the banner
 */
export async function startServer(args: string[], program = process.execPath): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(program, [...args, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await bannerPort(child, (code) => new Error(`${args[0]} exited with ${code} before serving`));
  child.stdout!.resume();
  return { child, port };
}
