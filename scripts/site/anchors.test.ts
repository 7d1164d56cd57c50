import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAnchors, findDeclaration, fixAnchors } from './anchors.ts';

const source = ['// a file', 'export function one(): number {', '  return 1; // the rule', '}', '', 'export function two(): number {', '  return 2;', '}', ''].join('\n');

/** A throwaway repo: the source above and a lesson with `links`. */
function repo(links: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
  writeFileSync(join(dir, 'code.ts'), source);
  writeFileSync(join(dir, 'README.md'), `# Lesson\n\n${links}\n`);
  return dir;
}

describe('line anchors', () => {
  it('finds declarations', () => {
    expect(findDeclaration(source, 'two')).toBe(6);
    expect(findDeclaration(source, 'three')).toBeUndefined();
  });

  it('accept an anchor on the declaration or inside it', () => {
    expect(checkAnchors(repo('[`one`](code.ts#L2) and [`one`](code.ts#L3)'), 'README.md')).toEqual([]);
  });

  it('catch an anchor that now lands in another function, and fix it', () => {
    const dir = repo('See [`one`](code.ts#L7).');
    const [problem] = checkAnchors(dir, 'README.md');
    expect(problem!.message).toBe('README.md:3: code.ts#L7 is not in one any more; it starts on line 2');
    fixAnchors(dir, 'README.md');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('See [`one`](code.ts#L2).');
  });

  it('find a class member by its declaration, not its first mention', () => {
    const cls = ['/** write goes first here */', 'class A {', '  readonly write: W = () => 1;', '  close(): void {}', '}'];
    expect(findDeclaration(cls.join('\n'), 'write')).toBe(3);
    expect(findDeclaration(cls.join('\n'), 'close')).toBe(4);
  });

  it('catch an anchor past the end of the file (the code moved to another file)', () => {
    const [problem] = checkAnchors(repo('See [`two`](code.ts#L30).'), 'README.md');
    expect(problem!.message).toBe('README.md:3: code.ts#L30 is not in two any more; it starts on line 6');
  });

  it('catch an anchor with nothing to check it by, and a name that is gone', () => {
    const messages = checkAnchors(repo('[code](code.ts#L2) [`gone`](code.ts#L2)'), 'README.md').map((p) => p.message);
    expect(messages).toEqual([
      'README.md:3: line anchor code.ts#L2 names no code to check it by: write [`name`](code.ts#L2)',
      'README.md:3: gone is not in code.ts any more',
    ]);
  });
});
