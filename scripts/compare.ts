/**
 * npm run compare -- --part N --target HOST:PORT [--mask date,server] [--app NAME] [--timeout SECONDS]
 * npm run compare -- --part N --a HOST:PORT --b HOST:PORT [--mask ...] [--app NAME] [--timeout SECONDS]
 *
 * Holds a server against the course, byte for byte. The first form replays
 * Part N's golden transcripts against any running server (ours, or yours in
 * any language) and prints PASS or FAIL per transcript, with a diff that
 * shows CR and LF; a server that answers before the whole request has been
 * sent fails too. The second sends the same requests to two servers and
 * shows where their answers differ. `--mask date,server` ignores the values
 * of those header fields (your server has its own clock and name). Part 2's
 * transcripts belong to apps and Part 3's partly; `--app` picks which
 * (default: those that need no app, else hello's). `--part 2b` replays the
 * transcripts of several exchanges on one connection (persistent connections)
 * and says when a server closed where it should have kept the connection, or
 * kept it where it should have closed. The transcripts replayed are the
 * course's as committed (git's HEAD), so that every student's server is held
 * to the same bytes whatever an exercise changed in their working tree;
 * `--working-tree` replays the working tree's instead (after re-recording,
 * say). Guide: docs/compare.md.
 * Exit status: 0 when everything matched, 1 on a difference, 2 on bad usage
 * or when nothing listens.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareTwo, compareWithTranscripts, foldRepeats, parseTarget, selectTranscripts, type Outcome, type Selection } from './lib/compare.ts';
import { loadTranscripts, type Transcript } from './lib/transcripts.ts';
import { changedFiles, committedFolder, hasCommit } from './lib/worktree.ts';
import { paint, stopQuietlyOnEpipe } from './lib/cli.ts';
import { REPO_ROOT } from './lib/repo.ts';

const usage = [
  'usage: npm run compare -- --part N --target HOST:PORT [--mask date,server] [--app NAME] [--timeout SECONDS] [--working-tree]',
  '       npm run compare -- --part N --a HOST:PORT --b HOST:PORT [--mask date,server] [--app NAME] [--timeout SECONDS] [--working-tree]',
].join('\n');


/**
 * The transcripts of `folder` (`part1/transcripts`): the committed ones, or the working
 * tree's with `workingTree` or where there is no git clone (then a note says so).
 */
function transcriptsOf(folder: string, workingTree: boolean): { transcripts: Transcript[]; note?: string } {
  const dir = join(REPO_ROOT, folder);
  if (workingTree) return { transcripts: loadTranscripts(dir), note: `Replaying the transcripts of your working tree (--working-tree), not the course's.` };
  if (!hasCommit(REPO_ROOT)) return { transcripts: loadTranscripts(dir), note: 'Not a git clone: replaying the transcripts as they are in this folder.' };
  const committed = committedFolder(REPO_ROOT, folder) ?? new Map<string, Buffer>();
  const fromHead = (name: string) => committed.get(name) ?? readFileSync(join(dir, name));
  const yours = changedFiles(REPO_ROOT).filter((file) => file.startsWith(`${folder}/`) && !file.slice(folder.length + 1).includes('/'));
  const note = yours.length > 0 ? `Your working tree changed ${yours.join(', ')}: replaying the course's committed transcripts (--working-tree replays yours).` : undefined;
  return { transcripts: loadTranscripts(dir, fromHead), ...(note ? { note } : {}) };
}

stopQuietlyOnEpipe();

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        part: { type: 'string' },
        target: { type: 'string' },
        a: { type: 'string' },
        b: { type: 'string' },
        mask: { type: 'string', default: '' },
        app: { type: 'string' },
        timeout: { type: 'string', default: '5' },
        'working-tree': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  // 2b: Part 2's persistent connections (webserver2b.ts), several exchanges on one connection.
  const folder = values.part === '2b' ? 'part2/transcripts/persistent' : `part${values.part}/transcripts`;
  if (!values.part || !existsSync(join(REPO_ROOT, folder, 'transcripts.json'))) {
    console.error(`${values.part ? `Part ${values.part} has no transcripts` : '--part is missing'}\n${usage}`);
    return 2;
  }
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) {
    console.error(`--timeout must be a number of seconds, not '${values.timeout}'`);
    return 2;
  }
  const mask = values.mask!.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  let selection: Selection;
  try {
    const source = transcriptsOf(folder, values['working-tree']!);
    if (source.note) console.log(source.note);
    selection = selectTranscripts(source.transcripts, values.app);
  } catch (error) {
    console.error(`Part ${values.part}: ${(error as Error).message}`);
    return 2;
  }
  const { transcripts, note } = selection;
  if (note) console.log(note);

  let outcomes: Outcome[];
  try {
    if (values.target && !values.a && !values.b) {
      outcomes = await compareWithTranscripts(parseTarget(values.target), transcripts, { mask, timeoutMs });
    } else if (values.a && values.b && !values.target) {
      outcomes = await compareTwo(parseTarget(values.a), parseTarget(values.b), transcripts, { mask, timeoutMs });
    } else {
      console.error(`Give either --target, or both --a and --b.\n${usage}`);
      return 2;
    }
  } catch (error) {
    console.error((error as Error).message);
    return 2; // nothing listening, or a target that is not HOST:PORT
  }

  for (const outcome of foldRepeats(outcomes)) {
    console.log(`${outcome.ok ? paint(32, 'PASS') : paint(31, 'FAIL')}  ${outcome.name}`);
    for (const line of outcome.details) {
      console.log(`      ${line.startsWith('- ') ? paint(31, line) : line.startsWith('+ ') ? paint(32, line) : line}`);
    }
  }
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  console.log(`${outcomes.length - failed} matched, ${failed} differed${mask.length ? ` (masked: ${mask.join(', ')})` : ''}`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
