/**
 * Tests that need something an operating system does not have. Part 3 is
 * about POSIX processes; on Windows some of its concepts do not exist at all.
 * Such a test is skipped there, with the missing concept in its name, so the
 * run says what was not checked and why: never a failure for a platform
 * reason, never a silent pass.
 *
 *   where('zombies').describe('3e: zombies', () => { ... })
 *   where('POSIX signals').it('on SIGTERM ... exits 0', async () => { ... })
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { INSPECTOR } from '../lib/processes.ts';

/** What a test may need beyond sockets and files. */
export type Concept =
  | 'zombies'
  | 'POSIX signals'
  | 'process groups'
  | 'a process table'
  | 'file descriptors'
  | 'symlinks'
  | 'listen backlogs';

/** Why a listening socket's backlog cannot be read: where there is no Linux `ss` (see listenBacklog). */
const LISTEN_BACKLOGS =
  "only Linux's ss shows the backlog of a listening socket (Send-Q, through inet_diag); " +
  'netstat on macOS and Windows does not';

/** Why each concept is missing on Windows. */
const ON_WINDOWS: Record<Concept, string> = {
  zombies: 'Windows has no zombies: an exited process leaves nothing for waitpid() to reap',
  'POSIX signals': 'Windows has no POSIX signals: SIGUSR2 does not exist, SIGTERM cannot be caught',
  'process groups': 'Windows has no process groups: kill(-PGID) does not exist',
  'a process table': 'Windows has no /proc and no ps: no table of parent and child PIDs to read',
  'file descriptors': 'Windows has handles, not file descriptors: no /proc/PID/fd, no lsof',
  symlinks: 'creating a symlink on Windows needs Developer Mode or administrator rights',
  'listen backlogs': LISTEN_BACKLOGS,
};

/**
 * Why `concept` is missing here, or undefined where it exists. A process
 * table is missing wherever scripts/lib/processes.ts has no source;
 * symlinks are tried once, since Windows allows them to some users.
 */
export function missing(concept: Concept, platform: NodeJS.Platform = process.platform): string | undefined {
  if (concept === 'a process table') return INSPECTOR ? undefined : ON_WINDOWS[concept];
  if (concept === 'listen backlogs') return platform === 'linux' && hasSs() ? undefined : LISTEN_BACKLOGS;
  if (concept === 'symlinks') return platform === 'win32' && !canSymlink() ? ON_WINDOWS[concept] : undefined;
  return platform === 'win32' ? ON_WINDOWS[concept] : undefined;
}

/** Whether iproute2's `ss` runs here (most Linux systems; a minimal container may lack it). */
function hasSs(): boolean {
  return spawnSync('ss', ['-V'], { stdio: 'ignore' }).status === 0;
}

let symlinks: boolean | undefined;
function canSymlink(): boolean {
  if (symlinks !== undefined) return symlinks;
  const dir = mkdtempSync(join(tmpdir(), 'symlink-probe-'));
  try {
    symlinkSync(join(dir, 'target'), join(dir, 'link'));
    symlinks = true;
  } catch {
    symlinks = false; // EPERM: the privilege is missing
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return symlinks;
}

/**
 * vitest's `describe` and `it` for tests that need `concepts`: skipped where
 * one is missing, the reason appended to the name (`... [skipped: Windows has no zombies: ...]`).
 */
export function where(...concepts: Concept[]): { describe: (name: string, body: () => void) => void; it: (name: string, body: () => unknown, timeoutMs?: number) => void } {
  const reasons = concepts.map((concept) => missing(concept)).filter((reason) => reason !== undefined);
  const skip = reasons.length > 0;
  const named = (name: string) => (skip ? `${name} [skipped: ${reasons.join('; ')}]` : name);
  return {
    describe: (name, body) => describe.skipIf(skip)(named(name), body),
    it: (name, body, timeoutMs) => it.skipIf(skip)(named(name), async () => void (await body()), timeoutMs),
  };
}
