/**
 * A class roster: one student a line, a name and the `HOST:PORT` of their
 * server, optionally the part they are on. Plain text (fields separated by
 * spaces, the name may hold spaces) or CSV (a line with a comma; a field may
 * be quoted, `"Lovelace, Ada"`). `#` starts a comment line; blank lines are
 * skipped; a first CSV line `name,server,part` is a header.
 *
 *     # name          server              part
 *     Ada Lovelace    192.168.1.21:8888   1
 *     "Hopper, Grace",192.168.1.22:8888,2
 */
import { parseTarget } from '../lib/compare.ts';
import type { Target } from '../lib/wire.ts';

/** One student of a roster. */
export interface Student {
  name: string;
  target: Target;
  /** The part whose transcripts their server is held to (`1`, `2`, `2b`, `3`); undefined: not given. */
  part?: string;
  /** The roster line it came from, counting from 1. */
  line: number;
}

/** A roster line that is not `NAME HOST:PORT [PART]`: the message names the file and the line. */
export class RosterError extends Error {}

/** The parts that have transcripts to replay (2b: Part 2's persistent connections). */
export const PARTS = ['1', '2', '2b', '3'];

/**
 * Reads a roster's text.
 * @param file the roster's name, for error messages
 * @throws RosterError naming the first malformed line, a repeated name, or an empty roster
 */
export function parseRoster(text: string, file: string): Student[] {
  const students: Student[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/); // a spreadsheet's CSV may start with a BOM
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const fail = (why: string) => new RosterError(`${file}:${line}: ${why}\n  ${raw}\n  expected: NAME HOST:PORT [PART], e.g. Ada 192.168.1.21:8888 1`);
    if (/^[ \t]*(#|$)/.test(raw)) continue;
    const fields = raw.includes(',') ? csvFields(raw, fail) : spaceFields(raw);
    if (students.length === 0 && raw.includes(',') && /^name$/i.test(fields[0] ?? '')) continue; // the header
    students.push(readStudent(fields, line, fail));
    const earlier = students.find((s) => s.name === students.at(-1)!.name && s !== students.at(-1));
    if (earlier) throw fail(`'${earlier.name}' is already on line ${earlier.line}: give each student their own name`);
  }
  if (students.length === 0) throw new RosterError(`${file}: no students (one a line: NAME HOST:PORT [PART])`);
  return students;
}

/** NAME (the fields before the first HOST:PORT), HOST:PORT, then an optional PART. */
function readStudent(fields: string[], line: number, fail: (why: string) => RosterError): Student {
  const at = fields.findIndex((field) => /^(\[[^\]]+\]|[^:\s]+):\d+$/.test(field));
  if (at === -1) throw fail('no HOST:PORT on this line');
  if (at === 0) throw fail('no name before HOST:PORT');
  let target: Target;
  try {
    target = parseTarget(fields[at]!);
  } catch (error) {
    throw fail((error as Error).message);
  }
  const rest = fields.slice(at + 1).filter((field) => field !== '');
  if (rest.length > 1) throw fail(`too many fields after ${fields[at]}: only the part may follow`);
  const part = rest[0]?.replace(/^part/i, '');
  if (part !== undefined && !PARTS.includes(part)) throw fail(`'${rest[0]}' is not a part: ${PARTS.join(', ')}`);
  return { name: fields.slice(0, at).join(' '), target, line, ...(part === undefined ? {} : { part }) };
}

/** Fields separated by spaces or tabs (the name's own spaces rejoin in readStudent). */
function spaceFields(raw: string): string[] {
  return raw.split(/[ \t]+/).filter((field) => field !== '');
}

/** CSV fields (RFC 4180: a quoted field may hold commas, `""` is a quote), spaces and tabs around each dropped. */
function csvFields(raw: string, fail: (why: string) => RosterError): string[] {
  const fields: string[] = [];
  const field = /[ \t]*(?:"((?:[^"]|"")*)"|([^,"]*?))[ \t]*(,|$)/y;
  while (field.lastIndex < raw.length) {
    const match = field.exec(raw);
    if (!match) throw fail('a quote out of place (CSV quotes a whole field: "Lovelace, Ada")');
    fields.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]!);
    if (match[3] === '') break;
    if (field.lastIndex === raw.length) fields.push(''); // a trailing comma: an empty last field
  }
  return fields;
}
