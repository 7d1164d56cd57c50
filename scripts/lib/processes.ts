/**
 * Reading processes: who is whose child, what state a process is in, how
 * many descriptors it holds, how much memory a process tree uses. Part 3's
 * tests use these to check what the servers claim (no zombie left,
 * descriptors back to their baseline); scripts/measure/tree-memory.ts and
 * bench use them to measure.
 *
 * Two ways to read them, one answer:
 * - 'proc' (Linux): files under /proc (proc(5)). Quick, and it has private memory.
 * - 'ps' (macOS, the BSDs; or Linux when asked): `ps -o pid=,ppid=,stat=,rss=,comm=`,
 *   whose fields BSD ps and procps ps share, and `lsof -p PID` for descriptors.
 *   Private memory has no portable source there: it is left out, not guessed.
 * LSBAWS_PROCESSES=ps forces the second on Linux, so that it is tested where
 * the course is developed. Windows has neither (no parent-child table of
 * POSIX processes, no file descriptors): every function but {@link until}
 * throws there, with a message that says so; tests skip (scripts/testing/platform.ts).
 *
 * No library: ps-list and pidusage, the well-kept ones, give neither process
 * states (zombies) nor descriptor counts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Where process facts come from on this machine; undefined where there is no source (Windows). */
export type Inspector = 'proc' | 'ps';

/**
 * Picks the source: LSBAWS_PROCESSES (`proc` or `ps`) when set, else /proc on
 * Linux, ps elsewhere but Windows.
 * @throws Error on a value of LSBAWS_PROCESSES other than `proc` or `ps`
 */
export function pickInspector(env = process.env, platform = process.platform): Inspector | undefined {
  const forced = env.LSBAWS_PROCESSES;
  if (forced === 'proc' || forced === 'ps') return forced;
  if (forced) throw new Error(`LSBAWS_PROCESSES=${forced}: pick proc or ps`);
  if (platform === 'win32') return undefined;
  return platform === 'linux' ? 'proc' : 'ps';
}

/** The source this process uses, fixed at start. */
export const INSPECTOR = pickInspector();

/** One process, as /proc/PID/stat or ps describes it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** R running, S sleeping, Z zombie, ... (proc(5); ps(1) STAT's first letter). */
  state: string;
  /** The executable's name: `node` (at most 15 characters from /proc). */
  name: string;
}

function inspector(): Inspector {
  if (INSPECTOR) return INSPECTOR;
  throw new Error(`Reading processes needs /proc (Linux) or ps and lsof (macOS); ${process.platform} has neither`);
}

/**
 * Reads /proc/PID/stat (or `ps -p PID`), or returns undefined when there is
 * no such process (any more). The name is in parentheses and may itself hold spaces or
 * parentheses, so the fields after it are found from the last ')'.
 */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (inspector() === 'ps') return ps(['-p', String(pid)])[0];
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
  if (inspector() === 'ps') return ps(['-A']).filter((info) => info.ppid === pid);
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
  const all = inspector() === 'ps' ? ps(['-A']) : undefined; // one ps for the whole tree
  const root = all ? all.find((info) => info.pid === pid) : processInfo(pid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i]!.pid;
    tree.push(...(all ? all.filter((info) => info.ppid === parent) : childrenOf(parent)));
  }
  return tree;
}

/**
 * How many file descriptors `pid` has open: the entries of /proc/PID/fd, or
 * the numbered FD lines of `lsof -p PID` (lsof also lists cwd, txt, mem: not descriptors).
 * @throws Error when the process does not exist (or, with ps, when lsof cannot be run)
 */
export function descriptorCount(pid: number): number {
  if (inspector() === 'proc') return readdirSync(`/proc/${pid}/fd`).length;
  // -F f: one `f<FD>` line per open file, machine-readable on both lsofs; -n -P: no DNS or port-name look-ups; -w: no warnings.
  const { stdout } = run('lsof', ['-n', '-P', '-w', '-F', 'f', '-p', String(pid)]);
  const count = stdout.split('\n').filter((line) => /^f\d+$/.test(line)).length;
  if (count === 0) throw new Error(`lsof -p ${pid}: no such process`);
  return count;
}

/**
 * Resident memory of a process in kB: `rss` as ps shows it (VmRSS) and
 * `private` (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup), the
 * part no other process shares. A sum of RSS over processes counts the
 * shared pages (Node's own code, mostly) once per process; a sum of private
 * memory is what the tree really costs beyond one copy of those. `private`
 * is undefined without /proc: ps has no such field.
 */
export function memoryOf(pid: number): { rss: number; private?: number } | undefined {
  if (inspector() === 'ps') {
    const rss = ps(['-p', String(pid)])[0]?.rss;
    return rss === undefined ? undefined : { rss };
  }
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: field(status, 'VmRSS'), private: field(rollup, 'Private_Clean') + field(rollup, 'Private_Dirty') };
  } catch {
    return undefined; // gone between listing and reading
  }
}

/**
 * CPU time a process has used, in µs: user plus system, its own and that of
 * the children it has waited for (so a child per connection that has exited
 * still counts), from /proc/PID/stat (proc(5): utime, stime, cutime, cstime,
 * in clock ticks of 10 ms). undefined without /proc (macOS, Windows: ps reports
 * whole seconds, too coarse to divide by requests) or when the process is gone.
 */
export function cpuTimeOf(pid: number): number | undefined {
  if (inspector() !== 'proc') return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
    return ticks * 10_000; // USER_HZ is 100 on Linux
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

/** Runs a tool and returns its output; exit status 1 is "nothing matched" (ps -p, lsof -p of a gone process). */
function run(command: string, args: string[]): { stdout: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`${command}: ${result.error.message} (LSBAWS_PROCESSES=${INSPECTOR})`);
  if (result.status !== 0 && result.status !== 1) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  return { stdout: result.stdout };
}

/**
 * The processes `ps SELECTION -o pid=,ppid=,stat=,rss=,comm=` lists. Both ps
 * families take `-A` (every process) and `-p PID`, and `field=` for a field
 * without a header. STAT's first letter is the state (Z: zombie); the others
 * are flags (`s` session leader, `+` foreground). RSS is in KiB on both. comm is
 * the last field because it may hold spaces; macOS prints the whole path.
 */
export function ps(selection: string[]): Array<ProcessInfo & { rss: number }> {
  const { stdout } = run('ps', [...selection, '-o', 'pid=,ppid=,stat=,rss=,comm=']);
  return stdout.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!match) return [];
    const [, pid, ppid, stat, rss, comm] = match;
    return [{ pid: Number(pid), ppid: Number(ppid), state: stat![0]!, rss: Number(rss), name: basename(comm!.trim()) }];
  });
}

/**
 * The backlog of the socket listening on TCP `port` (the queue of completed
 * connections the kernel holds until they are accepted), as `ss -ltn` shows
 * it in its Send-Q column: Linux only (scripts/testing/platform.ts,
 * 'listen backlogs'). /proc/net/tcp has the queue's length, not its size.
 * @throws Error when no socket listens on `port`
 */
export function listenBacklog(port: number): number {
  const { stdout } = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  // State Recv-Q Send-Q Local-Address:Port Peer-Address:Port
  const fields = stdout.split('\n')[0]?.split(/\s+/) ?? [];
  if (fields[0] !== 'LISTEN') throw new Error(`ss -ltn shows no socket listening on port ${port}: ${stdout}`);
  return Number(fields[2]);
}
