/**
 * Exercise 3.1: the zombies among a process's children, read from /proc (Linux).
 *
 * A child that has exited stays in the process table as a zombie (state Z)
 * until its parent reaps it with waitpid(2). 3d never reaps; from 3e on,
 * libuv does it for every Node parent. Try it: npm run part3 -- 3d, curl it,
 * then `npx tsx -e "import('./part3/zombies.ts').then(m => console.log(m.zombiesOf(PID)))"`.
 */
import { readFileSync } from 'node:fs';

/**
 * The pids of `pid`'s children that are zombies. /proc/PID/task/TID/children
 * (Linux 3.5+) lists each thread's children; a Node parent forks from its
 * main thread, whose TID is its PID. The state is the field after the
 * command name, which is in parentheses and may itself hold spaces or ")".
 */
export function zombiesOf(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  if (children === '') return [];
  return children
    .split(' ')
    .map(Number)
    .filter((child) => state(child) === 'Z');
}

/** One letter: R running, S sleeping, Z zombie, ...; '' when the process is gone. */
function state(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return ''; // reaped between the two reads: not a zombie any more
  }
}
