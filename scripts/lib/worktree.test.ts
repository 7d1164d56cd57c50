/**
 * A check steps aside for a student's exercise only when the exercise explains
 * the difference: on a clean tree, for a change no started exercise touches,
 * or for a lesson out of step with the committed course, it fails as before.
 * On a tiny git repository of its own: a part with one file, a lesson that
 * shows it, and an exercise whose solution touches it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { checkLessonsBeside, fixLessons } from '../site/lessons.ts';
import { exercised, exercisedReason } from '../testing/exercised.ts';
import { copyCourse, removeTree } from '../exercises/trees.ts';
import { changedFiles, courseView, exerciseChanges, markStarted, restoreCommitted, solutionFiles, startedExercises } from './worktree.ts';

const SOURCE = ['// #region answer', "export const ANSWER = 'Hello';", '// #endregion', ''].join('\n');
const LESSON = ['# Part 1', '', '```ts file=part1/answer.ts region=answer', "export const ANSWER = 'Hello';", '```', ''].join('\n');
const SOLVED = SOURCE.replace("'Hello'", "'Bad Request'");

let root: string;

function write(file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

function git(...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: root, stdio: 'ignore' });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'worktree-test-'));
  write('part1/answer.ts', SOURCE);
  write('part1/README.md', LESSON);
  write('.gitignore', '.exercises/\n');
  write('package.json', '{ "type": "module" }\n');
  // Exercise 1.1 touches answer.ts (an edit) and adds part1/bad.txt (a whole file).
  write('part1/exercises/solutions/1.1/edits.json', JSON.stringify([{ file: 'part1/answer.ts', find: "'Hello'", replace: "'Bad Request'" }]));
  write('part1/exercises/solutions/1.1/files/part1/bad.txt', 'Bad Request\n');
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'the course');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in for vitest's context: skip throws, as vitest's does, with the reason. */
function fakeContext(): TestContext {
  return { task: { name: 'a test' }, skip: (reason: string) => { throw new Error(`SKIP ${reason}`); } } as unknown as TestContext;
}
const failing = () => {
  throw new Error('the bytes differ');
};

describe('an exercise explains a difference only when it was started and changed that file', () => {
  it("knows the files an exercise's solution touches", () => {
    expect(solutionFiles(root, '1.1')).toEqual(['part1/answer.ts', 'part1/bad.txt']);
  });

  it('on a clean tree, even with the exercise started: no skip, the failure stands', async () => {
    markStarted(root, '1.1');
    expect(startedExercises(root)).toEqual(['1.1']);
    expect(changedFiles(root)).toEqual([]);
    expect(exerciseChanges(root).size).toBe(0);
    expect(courseView(root)).toBeUndefined();
    await expect(exercised(['part1/'], failing, root)(fakeContext())).rejects.toThrow('the bytes differ');
  });

  it('a change no started exercise explains (a maintainer editing the course): the failure stands', async () => {
    write('part1/answer.ts', SOLVED);
    expect(changedFiles(root)).toEqual(['part1/answer.ts']);
    expect(exerciseChanges(root).size).toBe(0);
    await expect(exercised(['part1/'], failing, root)(fakeContext())).rejects.toThrow('the bytes differ');
  });

  it('a started exercise that changed the file: the test is skipped, naming exercise and file', async () => {
    write('part1/answer.ts', SOLVED);
    write('part1/bad.txt', 'Bad Request\n');
    markStarted(root, '1.1');
    expect(exerciseChanges(root)).toEqual(new Map([['part1/answer.ts', ['1.1']], ['part1/bad.txt', ['1.1']]]));
    expect(exercisedReason(['part1/answer.ts'], root)).toBe('exercise 1.1 changed part1/answer.ts');
    expect(exercisedReason(['part2/'], root)).toBeUndefined();
    await expect(exercised(['part1/'], failing, root)(fakeContext())).rejects.toThrow('SKIP exercise 1.1 changed part1/answer.ts, part1/bad.txt');
    await expect(exercised(['part2/'], failing, root)(fakeContext())).rejects.toThrow('the bytes differ');
    // A passing test stays a pass: nothing is skipped that did not fail.
    await expect(exercised(['part1/'], () => {}, root)(fakeContext())).resolves.toBeUndefined();
  });

  it('puts back what the exercise touched: the committed bytes, and no file where the course has none', () => {
    write('part1/answer.ts', SOLVED);
    write('part1/bad.txt', 'Bad Request\n');
    expect(restoreCommitted(root, ['part1/answer.ts', 'part1/bad.txt'])).toEqual(['restored part1/answer.ts', 'removed part1/bad.txt (the course has no such file)']);
    expect(readFileSync(join(root, 'part1/answer.ts'), 'utf8')).toBe(SOURCE);
    expect(existsSync(join(root, 'part1/bad.txt'))).toBe(false);
    expect(changedFiles(root)).toEqual([]);
  });

  it("a proof's copy is the course as committed where a started exercise changed it, the rest as it is", () => {
    write('part1/answer.ts', SOLVED);
    write('part1/other.ts', 'a maintainer edit\n');
    markStarted(root, '1.1');
    const copy = copyCourse(root);
    try {
      expect(readFileSync(join(copy, 'part1/answer.ts'), 'utf8')).toBe(SOURCE);
      expect(readFileSync(join(copy, 'part1/other.ts'), 'utf8')).toBe('a maintainer edit\n');
    } finally {
      removeTree(copy);
    }
  });
});

describe('the lesson drift check beside the committed course', () => {
  function check() {
    const view = courseView(root);
    try {
      return checkLessonsBeside(root, view);
    } finally {
      view?.dispose();
    }
  }

  it('a block whose source a started exercise changed is an edit, named, not a problem; --fix leaves it', () => {
    write('part1/answer.ts', SOLVED);
    markStarted(root, '1.1');
    const { problems, edited } = check();
    expect(problems).toEqual([]);
    expect(edited).toEqual([{ lesson: 'part1/README.md', line: 3, shows: 'part1/answer.ts#answer', reason: 'exercise 1.1 changed part1/answer.ts' }]);
    const view = courseView(root);
    try {
      fixLessons(root, view);
    } finally {
      view?.dispose();
    }
    expect(readFileSync(join(root, 'part1/README.md'), 'utf8')).toBe(LESSON);
  });

  it('the same change without a started exercise is a drift', () => {
    write('part1/answer.ts', SOLVED);
    const { problems, edited } = check();
    expect(problems.map((problem) => problem.message)).toEqual(['part1/README.md:3: block shows part1/answer.ts#answer but differs from the source']);
    expect(edited).toEqual([]);
  });

  it('a lesson out of step with the committed course is a drift, exercise or not', () => {
    write('part1/README.md', LESSON.replace("'Hello'", "'Howdy'"));
    git('commit', '-qam', 'a drift');
    write('part1/answer.ts', SOLVED);
    markStarted(root, '1.1');
    const { problems, edited } = check();
    expect(problems).toHaveLength(1);
    expect(edited).toEqual([]);
  });
});
