/**
 * The matrix `npm run class` prints: a table per group of students held to
 * the same checks (the same part), a row per student, a column per check, a
 * verdict per cell, and how far each student has come.
 */
import { paint } from '../lib/cli.ts';
import type { Verdict } from './checks.ts';
import { progressOf, type Row } from './run.ts';

/** ANSI colour per verdict: green, red, yellow, yellow, magenta. */
const COLOURS: Record<Verdict, number> = { pass: 32, differs: 31, refused: 33, timeout: 33, garbage: 35 };

/** Rows of the same checks, in roster order: one table each. */
export interface Group {
  /** The kinds' names joined: `part 1`, `part 1 + probe`. */
  title: string;
  /** Column headers: the checks of every kind, in order. */
  checks: string[];
  rows: Row[];
}

/** Splits rows by the checks they ran, first appearance first. */
export function groupRows(rows: Row[]): Group[] {
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const title = row.kinds.map((kind) => kind.kind).join(' + ');
    const checks = row.kinds.flatMap((kind) => kind.checks);
    const key = `${title}\n${checks.join('\n')}`;
    if (!groups.has(key)) groups.set(key, { title, checks, rows: [] });
    groups.get(key)!.rows.push(row);
  }
  return [...groups.values()];
}

/** `5/7 passing, next: telnet-chars` or `7/7 passing`. */
export function describeProgress(row: Row): string {
  const { passed, total, next } = progressOf(row);
  return `${passed}/${total} pass${next === undefined ? '' : `, next: ${next}`}`;
}

/** The printed matrix, one line per string (colour only on a terminal). */
export function formatMatrix(rows: Row[]): string[] {
  const lines: string[] = [];
  for (const group of groupRows(rows)) {
    const nameWidth = Math.max('student'.length, ...group.rows.map((row) => row.student.name.length));
    const widths = group.checks.map((check) => Math.max(check.length, 'differs'.length));
    lines.push(`${group.title}: ${group.checks.length} checks, ${group.rows.length} student${group.rows.length === 1 ? '' : 's'}`);
    lines.push(['student'.padEnd(nameWidth), ...group.checks.map((check, i) => check.padEnd(widths[i]!)), 'progress'].join('  '));
    for (const row of group.rows) {
      const cells = row.kinds.flatMap((kind) => kind.cells).map((cell, i) => paint(COLOURS[cell.verdict], cell.verdict.padEnd(widths[i]!)));
      lines.push([row.student.name.padEnd(nameWidth), ...cells, describeProgress(row)].join('  '));
    }
    lines.push('');
  }
  return lines;
}

/** One line: how many cells of each verdict, and how many students pass everything. */
export function summarize(rows: Row[]): string {
  const counts = new Map<Verdict, number>();
  for (const cell of rows.flatMap((row) => row.kinds.flatMap((kind) => kind.cells))) counts.set(cell.verdict, (counts.get(cell.verdict) ?? 0) + 1);
  const done = rows.filter((row) => row.kinds.every((kind) => kind.cells.every((cell) => cell.verdict === 'pass'))).length;
  const verdicts = [...counts].map(([verdict, count]) => `${count} ${verdict}`).join(', ');
  return `${done} of ${rows.length} student${rows.length === 1 ? '' : 's'} pass every check (cells: ${verdicts})`;
}
