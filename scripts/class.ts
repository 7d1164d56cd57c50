/**
 * npm run class -- ROSTER [--part N] [--app NAME] [--mask date,server] [--timeout SECONDS]
 *                         [--jobs N] [--report FILE]
 * npm run class -- ROSTER --watch [--interval SECONDS] [--port N] [--host H] [...]
 *
 * A teacher's check of a whole class: compare (Part N's golden transcripts)
 * against every student's server in ROSTER, `--jobs` servers at a time (8),
 * each check within `--timeout` seconds after its request (5), so a dead or
 * hanging server costs only its own row. Prints a matrix per part (a row per
 * student, a column per transcript: pass, differs, refused, timeout, garbage,
 * and how far each student has come) and writes an HTML report where a click
 * on a cell shows its byte diff. The roster: one student a line, NAME
 * HOST:PORT [PART] (scripts/class/roster.ts; docs/class-roster.example.txt).
 * `--part` sets the part for everyone (default: each line's, else 1);
 * `--mask` defaults to date,server (each laptop has its own clock and name).
 *
 * `--watch` serves the results page on --host/--port (localhost:8000, as the
 * site) with the course's own pre-forked pool, and checks again every
 * `--interval` seconds (15) and when the page's Recheck button is pressed.
 * Guide: docs/compare.md, "For a teacher".
 * Exit status: 0 once the matrix and report are out, whatever the servers
 * said; 2 on bad usage or a malformed roster (the message names the line);
 * 1 when the --watch page cannot be served (its port is taken).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stopQuietlyOnEpipe } from './lib/cli.ts';
import { compareKind, type CheckKind } from './class/checks.ts';
import { probeKind } from './class/probe-kind.ts';
import { formatMatrix, summarize } from './class/matrix.ts';
import { renderPage, renderResults } from './class/report.ts';
import { parseRoster, PARTS, RosterError, type Student } from './class/roster.ts';
import { DEFAULT_JOBS, runRound } from './class/run.ts';
import { watch } from './class/watch.ts';

const usage = [
  'usage: npm run class -- ROSTER [--part N] [--app NAME] [--mask date,server] [--timeout SECONDS] [--jobs N] [--report FILE] [--probe]',
  '       npm run class -- ROSTER --watch [--interval SECONDS] [--port N] [--host H] [same options]',
].join('\n');

/** The checks of a student: compare against their part, and with --probe the probe's corpus. */
function checkKinds(options: { part?: string; app?: string; mask: string[]; timeoutMs: number; probe: boolean }): (student: Student) => CheckKind[] {
  const kinds = new Map<string, CheckKind>();
  // Probe's own limit a case (its --timeout), not compare's: a case waits only for a verdict.
  const probe = options.probe ? [probeKind(Math.min(options.timeoutMs, 2000))] : [];
  return (student) => {
    const part = options.part ?? student.part ?? '1';
    if (!kinds.has(part)) kinds.set(part, compareKind({ part, mask: options.mask, timeoutMs: options.timeoutMs, ...(options.app ? { app: options.app } : {}) }));
    return [kinds.get(part)!, ...probe];
  };
}

/** A number from an option, or an Error with a one-line message. */
function numberOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!(value >= min && value <= max)) throw new Error(`--${name} must be a number from ${min} to ${max}, not '${text}'`);
  return value;
}

async function main(): Promise<number> {
  stopQuietlyOnEpipe();
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        part: { type: 'string' },
        app: { type: 'string' },
        mask: { type: 'string', default: 'date,server' },
        timeout: { type: 'string', default: '5' },
        jobs: { type: 'string', default: String(DEFAULT_JOBS) },
        report: { type: 'string', default: 'class-report.html' },
        watch: { type: 'boolean', default: false },
        probe: { type: 'boolean', default: false },
        interval: { type: 'string', default: '15' },
        port: { type: 'string', default: '8000' },
        host: { type: 'string', default: 'localhost' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    console.error(`${positionals.length === 0 ? 'ROSTER is missing' : `one ROSTER only, not ${positionals.join(' ')}`}\n${usage}`);
    return 2;
  }
  let students: Student[];
  let kindsFor: (student: Student) => CheckKind[];
  let numbers: { timeoutMs: number; jobs: number; intervalMs: number; port: number };
  try {
    if (values.part !== undefined && !PARTS.includes(values.part.replace(/^part/i, ''))) throw new Error(`--part must be one of ${PARTS.join(', ')}, not '${values.part}'`);
    numbers = {
      timeoutMs: numberOption('timeout', values.timeout!, 0.1, 600) * 1000,
      jobs: Math.floor(numberOption('jobs', values.jobs!, 1, 256)),
      intervalMs: numberOption('interval', values.interval!, 1, 86400) * 1000,
      port: Math.floor(numberOption('port', values.port!, 0, 65535)),
    };
    let text: string;
    try {
      text = readFileSync(positionals[0]!, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the roster ${positionals[0]}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    students = parseRoster(text, positionals[0]!);
    const mask = values.mask!.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
    const part = values.part?.replace(/^part/i, '');
    kindsFor = checkKinds({ mask, probe: values.probe!, timeoutMs: numbers.timeoutMs, ...(part ? { part } : {}), ...(values.app ? { app: values.app } : {}) });
    for (const student of students) kindsFor(student); // a wrong --app fails here, before any traffic
  } catch (error) {
    console.error(error instanceof RosterError ? error.message : `${(error as Error).message}\n${usage}`);
    return 2;
  }

  if (values.watch) {
    if (values.host === '0.0.0.0' || values.host === '::') {
      console.error(`Warning: serving on every network interface (${values.host}): anyone who can reach this machine can read the class page.`);
    }
    try {
      await watch(students, kindsFor, { jobs: numbers.jobs, intervalMs: numbers.intervalMs, host: values.host!, port: numbers.port });
    } catch (error) {
      console.error((error as Error).message); // the pool did not come up: most often, the port is taken
      return 1;
    }
  }
  const rows = await runRound(students, kindsFor, { jobs: numbers.jobs });
  for (const line of formatMatrix(rows)) console.log(line);
  const report = resolve(values.report!);
  writeFileSync(report, renderPage(renderResults(rows, { round: 1, running: false, finishedAt: new Date() }), false));
  console.log(summarize(rows));
  const shown = relative(process.cwd(), report);
  console.log(`Report: ${shown.startsWith('..') || isAbsolute(shown) ? report : shown} (click a cell for its byte diff)`);
  return 0;
}

process.exitCode = await main();
