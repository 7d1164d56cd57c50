/**
 * scripts/ by role (CONTRIBUTING.md, "Where a new script goes"): a command is one thin file at
 * the top of scripts/, named by an npm script; the engines several commands share live in
 * scripts/lib/; scripts/testing/ holds what only tests import. Each rule below fails naming the
 * file and the import that breaks it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/repo.ts';

/** The folders whose TypeScript may import from scripts/. */
const CODE_FOLDERS = ['part1', 'part2', 'part3', 'scripts'];

/** A repo path with `/` separators, whatever the platform: `scripts/lib/wire.ts`. */
function repoPath(file: string): string {
  return relative(REPO_ROOT, file).split(sep).join('/');
}

/** Every .ts file of the course's code, as repo paths (fixtures are data, not modules). */
function courseFiles(): string[] {
  return CODE_FOLDERS.flatMap((folder) =>
    readdirSync(join(REPO_ROOT, folder), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => repoPath(join(entry.parentPath, entry.name))),
  ).filter((file) => !file.includes('/fixtures/'));
}

/** The repo paths `file` imports relatively (static imports, re-exports and `import('...')`). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'))
    .map((specifier) => posix.normalize(posix.join(posix.dirname(file), specifier)));
}

const isTest = (file: string) => file.endsWith('.test.ts');
/** A command: a file at the top of scripts/ that is not a test. */
const isCommand = (file: string) => /^scripts\/[^/]+\.ts$/.test(file) && !isTest(file);

const files = courseFiles();
const packageScripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('scripts/ by role', () => {
  it('every npm script that runs a file of scripts/ names a command at its top', () => {
    const wrong = Object.entries(packageScripts).flatMap(([name, command]) =>
      [...command.matchAll(/scripts\/\S+\.ts/g)]
        .map((match) => match[0])
        .filter((file) => !isCommand(file) || !existsSync(join(REPO_ROOT, file)))
        .map((file) => `npm run ${name} runs ${file}: a command is a file at the top of scripts/`),
    );
    expect(wrong).toEqual([]);
  });

  it('every command at the top of scripts/ is run by an npm script', () => {
    const run = Object.values(packageScripts).join('\n');
    const orphans = files.filter(isCommand).filter((file) => !run.includes(file));
    expect(orphans).toEqual([]);
  });

  it('no module but a test imports from scripts/testing/ (a command uses scripts/lib/)', () => {
    const wrong = files
      .filter((file) => !isTest(file) && !file.startsWith('scripts/testing/'))
      .flatMap((file) => importsOf(file).filter((target) => target.startsWith('scripts/testing/')).map((target) => `${file} imports ${target}`));
    expect(wrong).toEqual([]);
  });

  it('no module imports a command: commands are not libraries, and export nothing', () => {
    const imported = files.flatMap((file) => importsOf(file).filter(isCommand).map((target) => `${file} imports ${target}`));
    const exporting = files
      .filter(isCommand)
      .filter((file) => /^export /m.test(readFileSync(join(REPO_ROOT, file), 'utf8')))
      .map((file) => `${file} exports: move what it exports to scripts/lib/`);
    expect([...imported, ...exporting]).toEqual([]);
  });

  it('finds the files and imports it checks (a layout test that sees nothing cannot fail)', () => {
    expect(files).toContain('scripts/part3.ts');
    expect(importsOf('scripts/part3.ts')).toContain('scripts/lib/bundle.ts');
  });
});
