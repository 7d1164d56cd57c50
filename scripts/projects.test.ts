/**
 * Nothing is silently dropped: every `*.test.ts` file of the course is in exactly one of
 * vitest.config.ts's projects, and every project is run by an npm script that `.ci/run` runs
 * (`npm test` runs `course`, `npm run test:site` runs `site`, `npm run test:stress` runs
 * `stress`). A new test file that no project's globs take, or a project no script runs, fails
 * here, naming it. Vitest itself says which file goes where (`vitest list --filesOnly --json`),
 * so the globs are read the way the runs read them.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');
/** Folders that hold no course test: installed packages, build output, the built site, git's and the exercises' state. */
const NOT_COURSE = /(^|\/)(node_modules|\.[^/]+)(\/|$)|^docs\/site\//;

/** Every `*.test.ts` file in the repository, as a path from its root with `/`. */
function testFilesOnDisk(): string[] {
  return readdirSync(ROOT, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((file) => !NOT_COURSE.test(file))
    .sort();
}

/** The project of each test file, as `vitest list` gives them: [file, project] pairs. */
async function filesByProject(): Promise<Array<[string, string]>> {
  // The environment without this run's own VITEST_* variables, so the listing is a run of its own.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const { stdout } = await promisify(execFile)(process.execPath, [VITEST, 'list', '--filesOnly', '--json'], { cwd: ROOT, env, maxBuffer: 16 << 20 });
  const listed = JSON.parse(stdout) as Array<{ file: string; projectName: string }>;
  return listed.map(({ file, projectName }) => [relative(ROOT, file).split(sep).join('/'), projectName]);
}

/** The projects an npm script runs: the `--project NAME` of its vitest command. */
function projectsOf(script: string): string[] {
  return [...script.matchAll(/--project[= ](\S+)/g)].map((match) => match[1]!);
}

describe('every test file runs somewhere', () => {
  let listed: Array<[string, string]> = [];
  beforeAll(async () => {
    listed = await filesByProject();
  });

  it('is in exactly one vitest project', () => {
    const onDisk = testFilesOnDisk();
    expect(onDisk.length).toBeGreaterThan(50); // the walk found the course's tests, not an empty folder
    const projects = new Map<string, string[]>();
    for (const [file, project] of listed) projects.set(file, [...(projects.get(file) ?? []), project]);
    const inNone = onDisk.filter((file) => !projects.has(file));
    expect(inNone, 'test files no vitest project runs: add them to a project in vitest.config.ts').toEqual([]);
    const inSeveral = [...projects].filter(([, names]) => names.length > 1).map(([file, names]) => `${file}: ${names.join(', ')}`);
    expect(inSeveral, 'test files that run in more than one project').toEqual([]);
  });

  it('is in a project that npm test, test:site or test:stress runs, and .ci/run runs all three', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const byScript = { test: projectsOf(scripts.test!), 'test:site': projectsOf(scripts['test:site']!), 'test:stress': projectsOf(scripts['test:stress']!) };
    expect(byScript).toEqual({ test: ['course'], 'test:site': ['site'], 'test:stress': ['stress'] });
    const run = new Set(Object.values(byScript).flat());
    const unrun = [...new Set(listed.map(([, project]) => project))].filter((project) => !run.has(project));
    expect(unrun, 'vitest projects no npm script runs').toEqual([]);
    // A browser test or a stress test moved away from the path its project names would fall into
    // course's globs and run in npm test: each project must still hold its own files.
    const holding = (project: string) => listed.filter(([, name]) => name === project).map(([file]) => file);
    expect(holding('site').sort()).toEqual(['scripts/class/browser.test.ts', 'scripts/site/browser.test.ts']);
    expect(holding('stress').every((file) => file.endsWith('.stress.test.ts'))).toBe(true);
    expect(holding('stress').length).toBeGreaterThan(0);
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').split('\n').map((line) => line.trim());
    expect(ci).toEqual(expect.arrayContaining(['npm test', 'npm run test:site', 'npm run test:stress']));
  });
});
