/**
 * Part 2's step files stay the size of their step (issue 21): webserver2.ts reads in one sitting,
 * and webserver2b.ts holds the persistent-connection change only: what the two share lives once
 * (server.ts, environ.ts, handler.ts), so no run of lines stands copied in both. (No function
 * over 40 lines anywhere in part2/: scripts/style.test.ts holds that.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it as vitestIt } from 'vitest';
import { exercisedIt } from '../scripts/testing/exercised.ts';
import { REPO_ROOT } from '../scripts/lib/repo.ts';

/** webserver2.py is 139 lines; ours reads a request within its limits and adds types. */
const MAX_STEP2_LINES = 350;
/** A run of this many identical code lines in both steps is a copy that should live once. */
const MIN_COPIED_RUN = 6;

// An exercise may grow a step on purpose: the sizes step aside for it, naming it (exercised.ts).
const it = exercisedIt(vitestIt, ['part2/']);

function read(file: string): string {
  return readFileSync(join(REPO_ROOT, file), 'utf8');
}

/**
 * The code lines of `text`, white space folded, with their line numbers: comments, blank lines,
 * imports and lone punctuation left out, as a copy detector reads them.
 */
export function codeLines(text: string): Array<[line: number, code: string]> {
  const lines: Array<[number, string]> = [];
  let inComment = false;
  text.split('\n').forEach((raw, index) => {
    const code = raw.replace(/\s+/g, ' ').trim();
    if (inComment || code.startsWith('/*')) inComment = !code.includes('*/');
    else if (code === '' || code.startsWith('//') || code.startsWith('import ')) return;
    else if (/^[\s{}()[\];,]*$/.test(code)) return;
    else lines.push([index + 1, code]);
  });
  return lines;
}

/** The runs of at least `min` consecutive code lines in both texts: `a line ~ b line`. */
export function copiedRuns(a: string, b: string, min: number): string[] {
  const [left, right] = [codeLines(a), codeLines(b)];
  const runs: string[] = [];
  for (let i = 0; i + min <= left.length; i++) {
    for (let j = 0; j + min <= right.length; j++) {
      let n = 0;
      while (i + n < left.length && j + n < right.length && left[i + n]![1] === right[j + n]![1]) {
        n++;
      }
      const extendsEarlier = i > 0 && j > 0 && left[i - 1]![1] === right[j - 1]![1];
      if (n >= min && !extendsEarlier) runs.push(`${left[i]![0]} ~ ${right[j]![0]} (${n} lines)`);
    }
  }
  return runs;
}

describe('the size of Part 2', () => {
  vitestIt('finds a copied run (so the test below can fail), and only one that long', () => {
    const body = ['a();', 'b();', 'c();', 'd();', 'e();', 'f();'].join('\n');
    expect(copiedRuns(`x();\n${body}\n`, `// note\n${body}\ny();\n`, 6)).toEqual([
      '2 ~ 2 (6 lines)',
    ]);
    expect(copiedRuns(body, body.replace('f();', 'g();'), 6)).toEqual([]);
    expect(codeLines('/**\n * doc\n */\nimport x from "y";\n  });\nconst a = 1;\n')).toEqual([
      [6, 'const a = 1;'],
    ]);
  });

  it(`webserver2.ts is at most ${MAX_STEP2_LINES} lines`, () => {
    expect(read('part2/webserver2.ts').trimEnd().split('\n').length).toBeLessThanOrEqual(
      MAX_STEP2_LINES,
    );
  });

  it(`webserver2.ts and webserver2b.ts share no run of ${MIN_COPIED_RUN} code lines`, () => {
    const [two, twoB] = [read('part2/webserver2.ts'), read('part2/webserver2b.ts')];
    expect(copiedRuns(two, twoB, MIN_COPIED_RUN)).toEqual([]);
  });
});
