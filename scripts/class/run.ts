/**
 * One round of `npm run class`: every check kind against every student's
 * server, several servers at a time with a bound, each run with a deadline, so
 * that a dead or hanging server costs its own row's time and no one else's.
 */
import type { Target } from '../lib/wire.ts';
import type { Cell, CheckKind } from './checks.ts';
import type { Student } from './roster.ts';

/** What one kind found on one server. */
export interface KindResult {
  kind: string;
  checks: string[];
  cells: Cell[];
}

/** A student's row: every kind's cells, in the order of their kinds. */
export interface Row {
  student: Student;
  kinds: KindResult[];
}

/** How a round runs. */
export interface RoundOptions {
  /** How many servers are checked at once (default 8). */
  jobs: number;
  /** Called as each row is done, in the order they finish. */
  onRow?: (row: Row, index: number) => void;
}

/** The default bound on servers checked at once: a class's laptops, not the teacher's machine, are slow. */
export const DEFAULT_JOBS = 8;

/**
 * A run that has not returned this long after its deadline is given up: its checks become
 * timeout cells. The deadline itself destroys the compare kind's sockets; this is for a kind
 * that does not honour it.
 */
const GRACE_MS = 1000;

/**
 * Checks each student's server with `kindsFor(student)`, in roster order
 * within `jobs` at a time; a student's kinds run one after the other (one
 * connection at a time, as a Part 1 server needs). Resolves with the rows in
 * roster order.
 */
export async function runRound(students: Student[], kindsFor: (student: Student) => CheckKind[], options: RoundOptions): Promise<Row[]> {
  const rows: Row[] = new Array(students.length);
  let next = 0;
  const worker = async () => {
    while (next < students.length) {
      const index = next++;
      const student = students[index]!;
      const kinds: KindResult[] = [];
      for (const kind of kindsFor(student)) kinds.push({ kind: kind.name, checks: kind.checks, cells: await runKind(kind, student.target) });
      rows[index] = { student, kinds };
      options.onRow?.(rows[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, students.length)) }, worker));
  return rows;
}

/** One kind on one server, within its limit; never rejects. */
async function runKind(kind: CheckKind, target: Target): Promise<Cell[]> {
  const deadline = Date.now() + kind.limitMs;
  let timer: NodeJS.Timeout | undefined;
  const givenUp = new Promise<Cell[]>((resolve) => {
    timer = setTimeout(() => resolve(allCells(kind, 'timeout', `no result ${GRACE_MS} ms after the time limit (${kind.limitMs} ms)`)), kind.limitMs + GRACE_MS);
  });
  try {
    return await Promise.race([kind.run(target, deadline), givenUp]);
  } catch (error) {
    return allCells(kind, 'differs', `the check stopped with an error: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

function allCells(kind: CheckKind, verdict: Cell['verdict'], why: string): Cell[] {
  return kind.checks.map((check) => ({ check, verdict, details: [why] }));
}

/** How far a row has come on its first kind (its part): the checks that pass, and the first that does not. */
export function progressOf(row: Row): { passed: number; total: number; next?: string } {
  const first = row.kinds[0];
  if (!first) return { passed: 0, total: 0 };
  const passed = first.cells.filter((cell) => cell.verdict === 'pass').length;
  const next = first.cells.find((cell) => cell.verdict !== 'pass')?.check;
  return { passed, total: first.cells.length, ...(next === undefined ? {} : { next }) };
}

/** True when every cell of the row passes. */
export function allPass(row: Row): boolean {
  return row.kinds.every((kind) => kind.cells.every((cell) => cell.verdict === 'pass'));
}
