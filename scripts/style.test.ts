/**
 * The house rules for the teaching code of Parts 1 and 2 that a formatter
 * cannot check: no function over 40 lines, no line over 100 characters
 * (Prettier wraps code, but not a long string or comment), and no state shared
 * between requests at module level (a `let`, or a Map/WeakMap/WeakSet). In
 * part3/, the steps, their modules and client3.ts (not its tests) are held to
 * the same rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/repo.ts';
import { exercised } from './testing/exercised.ts';

/** A function may be this many lines, from its first to its last, JSDoc not counted. */
const MAX_FUNCTION_LINES = 40;
/** A line may be this many characters: the formatter's printWidth (.prettierrc.json). */
const MAX_LINE_CHARS = 100;

/** One broken rule: where, and which. */
interface Finding {
  where: string;
  problem: string;
}

/** Every .ts file under `dir`, recursively, as paths relative to the repo. */
function typeScriptFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

/** A readable name for a function node: its own name, or the name it is assigned to. */
function nameOf(node: ts.Node): string {
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent as { name?: ts.Node };
  return parent?.name ? parent.name.getText() : '(anonymous)';
}

/** A test file's `describe(name, () => {...})` groups tests; it is not a function anyone reads as one. */
function isDescribeBody(node: ts.Node): boolean {
  const call = node.parent;
  return ts.isCallExpression(call) && call.expression.getText() === 'describe';
}

/** Every function-like node of `file` with its length in lines: [name, lines, first line]. */
export function functionLengths(name: string, text: string): Array<[string, number, number]> {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const found: Array<[string, number, number]> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body && !isDescribeBody(node)) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      found.push([nameOf(node), last - first + 1, first]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** What `text` (the file `name`) breaks of the rules above. */
export function checkShape(name: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const [fn, lines, first] of functionLengths(name, text)) {
    if (lines > MAX_FUNCTION_LINES) {
      const problem = `function ${fn} is ${lines} lines (at most ${MAX_FUNCTION_LINES})`;
      findings.push({ where: `${name}:${first}`, problem });
    }
  }
  text.split('\n').forEach((line, index) => {
    const chars = [...line].length; // characters, not UTF-16 units: '😀' is one
    if (chars > MAX_LINE_CHARS) {
      const problem = `line is ${chars} characters (at most ${MAX_LINE_CHARS})`;
      findings.push({ where: `${name}:${index + 1}`, problem });
    }
  });
  if (!name.endsWith('.test.ts')) findings.push(...moduleState(name, text));
  return findings;
}

/** Module-level `let`/`var`, or a module-level Map/WeakMap/WeakSet: state every request shares. */
function moduleState(name: string, text: string): Finding[] {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const findings: Finding[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const where = `${name}:${file.getLineAndCharacterOfPosition(statement.getStart(file)).line + 1}`;
    const list = statement.declarationList;
    if (!(list.flags & ts.NodeFlags.Const)) {
      findings.push({ where, problem: 'a module-level let/var: state shared between requests' });
    }
    for (const declaration of list.declarations) {
      const init = declaration.initializer;
      if (
        init &&
        ts.isNewExpression(init) &&
        /^(Weak)?(Map|Set)$/.test(init.expression.getText())
      ) {
        if (init.expression.getText() === 'Set') continue; // a constant table, e.g. HOP_BY_HOP
        const problem = `a module-level ${init.expression.getText()}: state shared between requests`;
        findings.push({ where, problem });
      }
    }
  }
  return findings;
}

/** Part 3's teaching code: the steps, plumbing.ts, shared-socket.ts, client3.ts; not the tests. */
const PART3 = typeScriptFiles('part3').filter(
  (file) => !file.endsWith('.test.ts') && !file.includes('/exercises/'),
);

describe('the shape of the teaching code (part1/, part2/, part3/)', () => {
  it('finds what it is meant to find (so this test can fail)', () => {
    const long = `function long() {\n${'  call();\n'.repeat(40)}}\n`;
    const wide = `const ok = '${'x'.repeat(100)}';\n`;
    const state =
      'let seen = 0;\nconst sending = new WeakSet<object>();\nconst table = new Set([1]);\n';
    expect(checkShape('fixture.ts', long + wide + state).map((f) => f.problem)).toEqual([
      'function long is 42 lines (at most 40)',
      'line is 114 characters (at most 100)',
      'a module-level let/var: state shared between requests',
      'a module-level WeakSet: state shared between requests',
    ]);
    expect(checkShape('fixture.ts', `function short() {\n${'  call();\n'.repeat(38)}}\n`)).toEqual(
      [],
    );
  });

  for (const file of [...typeScriptFiles('part1'), ...typeScriptFiles('part2'), ...PART3]) {
    // A student's exercise in this file: a finding is theirs, and skipped naming the exercise.
    it(
      file,
      exercised([file], () => {
        const findings = checkShape(file, readFileSync(join(REPO_ROOT, file), 'utf8'));
        expect(findings.map(({ where, problem }) => `${where}: ${problem}`).join('\n')).toBe('');
      }),
    );
  }
});
