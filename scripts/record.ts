/**
 * npm run record -- PART NAME [NAME ...] [--check] [--step S] [--app-step S] [--dir DIR]
 * npm run record -- PART --all [--check] ...
 *
 * Re-records golden transcripts from the running code: starts PART's server
 * (part1, part2 or part3; `1` works too) on 127.0.0.1 at a free port with the
 * fixed clock the tests use, replays each stored request byte for byte, and
 * writes what came back to the transcript's response file, printing a diff
 * of what changed with CR and LF visible. A file several transcripts share is
 * recorded from all of them, and written only if they agree.
 *
 *   npm run record -- part1 nonsense        after you changed webserver1b.ts's response
 *   npm run record -- part2 --all --check   what would change? writes nothing
 *   npm run record -- part2b --all          the persistent-connection transcripts, on webserver2b.ts
 *   npm run record -- part3 curl --step 3c  Part 3 transcripts without an app run on 3a
 *                                           by default, those with an app on 3i
 *
 * Then `git diff partN/transcripts` shows the change, and the part's tests
 * hold the server to it. Exit status: 0 when every file is recorded (or,
 * with --check, unchanged), 1 when --check found a difference or a file
 * could not be recorded, 2 on bad usage.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { changed, record, showChange, type RecordOptions } from './lib/record.ts';
import { loadTranscripts, type TranscriptEntry } from './lib/transcripts.ts';
import { paint } from './lib/cli.ts';

const usage = [
  'usage: npm run record -- PART NAME [NAME ...] [--check] [--step S] [--app-step S] [--dir DIR]',
  '       npm run record -- PART --all [--check] ...        (PART: part1, part2, part2b or part3)',
].join('\n');


/**
 * A transcript just added to transcripts.json has no response file yet:
 * create it empty, so that recording it shows every byte as new.
 */
function createMissingResponses(dir: string): void {
  for (const entry of JSON.parse(readFileSync(join(dir, 'transcripts.json'), 'utf8')) as TranscriptEntry[]) {
    // Several exchanges on one connection: a response file per exchange, none of the entry's own.
    const files = entry.exchanges?.map((exchange) => exchange.response) ?? [entry.response ?? `${entry.name}.response`];
    for (const file of files) if (!existsSync(join(dir, file))) writeFileSync(join(dir, file), '');
  }
}

async function main(): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        all: { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        step: { type: 'string' },
        'app-step': { type: 'string' },
        dir: { type: 'string' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const [partName, ...names] = positionals;
  const parsed = /^(?:part)?([123])(b?)$/.exec(partName ?? '');
  const part = Number(parsed?.[1]) as RecordOptions['part'];
  // part2b: the persistent-connection transcripts, several exchanges on one connection to webserver2b.ts.
  const persistent = parsed?.[2] === 'b';
  if (!part || (persistent && part !== 2) || (names.length === 0) === !values.all) {
    console.error(`${part ? 'Name the transcripts to record, or give --all (not both).' : 'PART must be part1, part2, part2b or part3.'}\n${usage}`);
    return 2;
  }
  // --dir: a copy of a transcripts folder (the tests record into a temporary one).
  const folder = persistent ? 'part2/transcripts/persistent' : `part${part}/transcripts`;
  const dir = values.dir ?? fileURLToPath(new URL(`../${folder}`, import.meta.url));
  if (!existsSync(join(dir, 'transcripts.json'))) {
    console.error(`${dir} has no transcripts.json`);
    return 2;
  }
  if (!values.check) createMissingResponses(dir);
  const options: RecordOptions = { part, persistent, ...(values.step ? { step: values.step } : {}), ...(values['app-step'] ? { appStep: values['app-step'] } : {}) };
  let recordings;
  try {
    recordings = await record(dir, loadTranscripts(dir), names, options);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }

  let failed = 0;
  for (const recording of recordings) {
    const who = `(${recording.names.join(', ')}; on ${recording.against.join(', ')})`;
    if (recording.problem) {
      failed++;
      console.log(`${paint(31, 'NOT RECORDED')}  ${recording.file} ${who}`);
      for (const line of recording.problem.split('\n')) console.log(`      ${line}`);
    } else if (!changed(recording)) {
      console.log(`${paint(32, 'unchanged')}  ${recording.file} ${who}`);
    } else {
      if (values.check) failed++;
      console.log(`${paint(33, values.check ? 'DIFFERS' : 'written')}  ${recording.file} ${who}`);
      for (const line of showChange(recording)) {
        console.log(`      ${line.startsWith('- ') ? paint(31, line) : line.startsWith('+ ') ? paint(32, line) : line}`);
      }
      if (!values.check) writeFileSync(join(dir, recording.file), recording.recorded!);
    }
  }
  const differing = recordings.filter(changed).length;
  const summary = values.check ? `${differing} of ${recordings.length} response files differ from the running code` : `${differing} of ${recordings.length} response files rewritten`;
  console.log(failed && !values.check ? `${summary}; ${failed} could not be recorded` : summary);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
