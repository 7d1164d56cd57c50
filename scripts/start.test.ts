/**
 * `npm start` stops when it is asked to: a SIGTERM to the npm process (a
 * `kill PID`, a process manager) stops the pool that serves the site and
 * frees its port, as Ctrl-C does (issue 19). Between npm and the course's
 * script sits the shell npm runs scripts in, which on Debian and Ubuntu
 * (dash) dies of the signal without passing it on.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, expect } from 'vitest';
import { where } from './testing/platform.ts';
import { processInfo, processTree, until } from './lib/processes.ts';
import { REPO_ROOT } from './lib/repo.ts';

let group: number | undefined;
afterEach(() => {
  try {
    if (group !== undefined) process.kill(-group, 'SIGKILL'); // whatever a failed test left
  } catch {
    // already gone: the test passed
  }
  group = undefined;
});

/** Resolves with the error code of a connection attempt to 127.0.0.1:`port`, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

where('POSIX signals', 'a process table').it(
  'SIGTERM to the npm start process stops the pool and frees the port',
  async () => {
    const npm = spawn('npm', ['start', '--', '--port', '0', '--host', '127.0.0.1'], {
      cwd: REPO_ROOT,
      detached: true, // its own process group, for the clean-up after a failure
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    group = npm.pid!;
    npm.stderr!.resume();
    let port = 0;
    // The site is built first (a few seconds), then the pool starts.
    for await (const line of createInterface({ input: npm.stdout! })) {
      port = Number(/^The course site: http:\/\/127\.0\.0\.1:(\d+)\//.exec(line)?.[1] ?? port);
      if (line === 'Ctrl-C stops the site.') break;
    }
    expect(port).toBeGreaterThan(0);
    expect(await tryConnect(port)).toBe('connected');
    const tree = processTree(npm.pid!).map((info) => info.pid); // npm, sh, node, the primary, its workers
    expect(tree.length).toBeGreaterThanOrEqual(4);
    const exited = once(npm, 'exit');
    process.kill(npm.pid!, 'SIGTERM');
    await exited;
    const gone = (pid: number) => processInfo(pid) === undefined || processInfo(pid)!.state === 'Z';
    // The orphaned script notices within half a second; the pool drains (no request under way).
    await until(() => tree.every(gone), `every process of npm start has exited (${tree})`);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  },
  120_000, // most of it building the site, as npm start does
);
