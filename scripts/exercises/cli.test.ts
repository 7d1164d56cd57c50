/**
 * A teacher's and a student's round trip, in a clone of the course: the
 * reference solution of 1.1 applied to the working tree; compare still holds
 * the course's server to the committed transcripts (the working tree's only
 * with --working-tree); a --target run never hints at the course's files;
 * reset puts back exactly what the exercise touched.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseHint } from './progress.ts';
import { runNode } from '../lib/running-steps.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let clone: string;
let server: Server;
let target: string;

/** Runs an npm script's file of the clone (scripts/NAME.ts) with tsx. */
function run(name: string, args: string[]) {
  const script = join(clone, 'scripts', `${name}.ts`);
  return runNode(['--import', 'tsx', script, ...args], { env: { NO_COLOR: '1' } });
}

function git(...args: string[]): string {
  const identity = ['-c', 'user.name=test', '-c', 'user.email=test@example.com'];
  return execFileSync('git', [...identity, ...args], { cwd: clone }).toString();
}

beforeAll(async () => {
  clone = mkdtempSync(join(tmpdir(), 'exercise-cli-'));
  execFileSync('git', ['clone', '-q', ROOT, clone]);
  // The tools under test are this tree's, committed in the clone; the parts stay the course's.
  cpSync(join(ROOT, 'scripts'), join(clone, 'scripts'), { recursive: true });
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'the tools as they are now');
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'junction');
  appendFileSync(join(clone, '.git', 'info', 'exclude'), 'node_modules\n');
  // The course's own server, loaded before the exercise changes the clone's file.
  const { listen } = (await import(join(clone, 'part1', 'webserver1b.ts'))) as {
    listen: (port: number, host: string, log: (text: string) => void) => Promise<Server>;
  };
  server = await listen(0, '127.0.0.1', () => {});
  target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(clone, { recursive: true, force: true });
});

describe('npm run exercise and npm run compare, in a clone, around exercise 1.1', () => {
  it('--solution --apply writes the reference solution and checks it', async () => {
    const applied = await run('exercise', ['1.1', '--solution', '--apply']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain("Applied exercise 1.1's reference solution to your working tree:");
    expect(applied.stdout).toContain('Done: 1.1 passes');
    expect(git('status', '--porcelain')).toContain(' M part1/webserver1b.ts');
  }, 120_000);

  it('compare replays the committed transcripts; --working-tree the changed ones', async () => {
    const committed = await run('compare', ['--part', '1', '--target', target]);
    expect(committed.code, committed.stdout + committed.stderr).toBe(0);
    expect(committed.stdout).toContain("replaying the course's committed transcripts (--working-tree replays yours)");
    const yours = await run('compare', ['--part', '1', '--target', target, '--working-tree']);
    expect(yours.code).toBe(1);
    expect(yours.stdout).toContain('FAIL  nonsense');
  }, 120_000);

  it('a --target run shows no hint about the course: its files, record, its functions', async () => {
    for (let i = 0; i < 2; i++) {
      const hinted = await run('exercise', ['1.1', '--hint', '--target', target]);
      expect(hinted.code).toBe(1);
      expect(hinted.stdout).toContain('Hint 1 of 1 for "Is anybody there? gets 400 Bad Request"');
      expect(hinted.stdout).not.toMatch(/transcripts\.json|npm run record|handleOneRequest/);
    }
  }, 120_000);

  it('reset puts back what 1.1 touched, keeps the student version, and leaves git status clean', async () => {
    writeFileSync(join(clone, 'part1', 'mine.txt'), 'a note of my own\n');
    const reset = await run('exercise', ['reset', '1.1']);
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    expect(reset.stdout).toContain('  restored part1/webserver1b.ts');
    expect(reset.stdout).toContain('  removed part1/transcripts/bad-request.response (the course has no such file)');
    expect(reset.stdout).toContain('Left as they are (not files of exercise 1.1): part1/mine.txt');
    rmSync(join(clone, 'part1', 'mine.txt'));
    expect(git('status', '--porcelain')).toBe('');
  }, 120_000);
});

describe('hints follow the step that fails', () => {
  const step = (name: string, hints: string[]) => ({ name, ok: false, details: [], hints });
  it('shows the failing step\'s own first hint, whatever was shown for another step', () => {
    const record = { hintsShown: {} };
    const first = step('a', ['a1', 'a2']);
    const second = step('b', ['b1', 'b2', { course: 'b3 about transcripts.json' }] as never);
    expect(chooseHint(record, first, false, false)?.text).toBe('a1');
    expect(chooseHint(record, first, false, true)?.text).toBe('a2');
    expect(chooseHint(record, second, false, false)?.text).toBe('b1'); // step a passes now: b's hints
    expect(chooseHint(record, second, true, true)?.text).toBe('b2');
    expect(chooseHint(record, second, true, true)).toMatchObject({ text: 'b2', count: 2 }); // no b3 for --target
  });
});
