/**
 * Reading processes from /proc (Linux): who is whose child, what state a
 * process is in, how many descriptors it holds, how much memory a process
 * tree uses. Part 3's tests use these to check what the servers claim (no
 * zombie left, descriptors back to their baseline); scripts/measure/tree-memory.ts
 * uses them to measure.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** One process, as /proc/PID/stat describes it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** R running, S sleeping, Z zombie, ... (proc(5)). */
  state: string;
  /** The executable's name, at most 15 characters: `node`. */
  name: string;
}

/**
 * Reads /proc/PID/stat, or returns undefined when there is no such process
 * (any more). The name is in parentheses and may itself hold spaces or
 * parentheses, so the fields after it are found from the last ')'.
 */
export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  const [state, ppid] = stat.slice(close + 2).split(' ');
  return { pid, ppid: Number(ppid), state: state!, name: stat.slice(stat.indexOf('(') + 1, close) };
}

/**
 * Every process whose parent is `pid`, alive or zombie. Read from
 * /proc/PID/task/TID/children (one list per thread that forked) where the
 * kernel has it, which is quick; otherwise by reading every /proc/N/stat.
 */
export function childrenOf(pid: number): ProcessInfo[] {
  let pids: number[];
  try {
    pids = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
  }
  return pids.map(processInfo).filter((info): info is ProcessInfo => info?.ppid === pid);
}

/** `pid` and all its descendants, parents before children. */
export function processTree(pid: number): ProcessInfo[] {
  const root = processInfo(pid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...childrenOf(tree[i]!.pid));
  return tree;
}

/** How many file descriptors `pid` has open (entries of /proc/PID/fd). */
export function descriptorCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Resident memory of a process in kB: `rss` as ps shows it (VmRSS) and
 * `private` (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup), the
 * part no other process shares. A sum of RSS over processes counts the
 * shared pages (Node's own code, mostly) once per process; a sum of private
 * memory is what the tree really costs beyond one copy of those.
 */
export function memoryOf(pid: number): { rss: number; private: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: field(status, 'VmRSS'), private: field(rollup, 'Private_Clean') + field(rollup, 'Private_Dirty') };
  } catch {
    return undefined; // gone between listing and reading
  }
}

/** Resolves once `check()` is true, trying again every `everyMs`; rejects with `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
