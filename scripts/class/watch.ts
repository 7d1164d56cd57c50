/**
 * `npm run class -- ROSTER --watch`: rounds of checks, one after the other,
 * every `intervalMs` and whenever the page's Recheck button asks; the results
 * page written to a folder that the course's own pre-forked pool (webserver3i
 * with the static-file app, as `npm start` serves the site) serves read-only.
 *
 * Rounds never overlap: a recheck asked during a round starts the next one as
 * soon as it ends, so a server fixed meanwhile shows it in that next round.
 * A row is replaced as soon as its server has been checked again.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPool } from '../lib/pool.ts';
import type { CheckKind } from './checks.ts';
import { describeProgress, summarize } from './matrix.ts';
import { renderPage, renderResults, type RoundStatus } from './report.ts';
import type { Student } from './roster.ts';
import { runRound, type Row } from './run.ts';

export interface WatchOptions {
  jobs: number;
  /** Time between the end of a round and the start of the next, in ms. */
  intervalMs: number;
  host: string;
  port: number;
}

/** How often the watcher looks at the recheck file's time stamp (Node docs: fs.watchFile polls). */
const RECHECK_POLL_MS = 250;

/** Writes `text` to `path` whole: to a temporary name, then renamed, so a reader never sees half of it. */
function writeWhole(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  try {
    renameSync(`${path}.tmp`, path);
  } catch {
    writeFileSync(path, text); // Windows refuses to replace a file a worker has open: write it in place
  }
}

/** This machine's IPv4 addresses on its networks (not loopback): where a class finds the page. */
function lanAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address));
}

/** Serves the page and checks the class, round after round, until the process is stopped. */
export async function watch(students: Student[], kindsFor: (student: Student) => CheckKind[], options: WatchOptions): Promise<never> {
  const dir = mkdtempSync(join(tmpdir(), 'class-live-'));
  const pageDir = join(dir, 'page');
  const recheckFile = join(dir, 'recheck');
  mkdirSync(pageDir);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const rows: Row[] = [];
  let status: RoundStatus = { round: 1, running: true };
  const publish = () => writeWhole(join(pageDir, 'results.html'), renderResults(rows.filter(Boolean), status));
  publish();
  writeWhole(join(pageDir, 'index.html'), renderPage(renderResults([], status), true));

  const app = `${fileURLToPath(new URL('./live-app.ts', import.meta.url))}:app`;
  const what = { name: 'a class page', retry: 'npm run class -- ROSTER --watch --port' };
  const pool = await startPool(options.port, options.host, { app, env: { CLASS_PAGE_DIR: pageDir, CLASS_RECHECK_FILE: recheckFile }, what });
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host.includes(':') ? `[${options.host}]` : options.host;
  console.log(`The class page: http://${shownHost}:${pool.port}/   (served by the course's own pre-forked server, webserver3i)`);
  if (options.host === '0.0.0.0' || options.host === '::') {
    for (const address of lanAddresses()) console.log(`On the network: http://${address}:${pool.port}/`);
  }
  console.log(`Rechecks every ${options.intervalMs / 1000} s and on the page's Recheck button. Ctrl-C stops.`);

  let wake = () => {};
  let asked = false;
  writeFileSync(recheckFile, '');
  watchFile(recheckFile, { interval: RECHECK_POLL_MS }, () => ((asked = true), wake()));
  process.on('exit', () => unwatchFile(recheckFile));
  for (let round = 1; ; round++) {
    status = { ...status, round, running: true };
    publish();
    asked = false; // a recheck asked from now on is answered by a round after this one
    const before = rows.map(describeProgress);
    await runRound(students, kindsFor, {
      jobs: options.jobs,
      onRow: (row, index) => {
        rows[index] = row;
        publish();
      },
    });
    const changed = rows.filter((row, i) => before[i] !== undefined && before[i] !== describeProgress(row));
    const finishedAt = new Date();
    console.log(`${finishedAt.toTimeString().slice(0, 8)} round ${round}: ${summarize(rows)}`);
    for (const row of changed) console.log(`  ${row.student.name}: ${describeProgress(row)}`);
    status = { round, running: false, finishedAt, nextAt: new Date(finishedAt.getTime() + options.intervalMs) };
    publish();
    if (!asked) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
    wake = () => {};
  }
}
