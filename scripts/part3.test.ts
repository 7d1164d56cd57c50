import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_DIR, buildProgram, importSpecifier, prepareArguments, programName, PROGRAMS, usage } from './lib/bundle.ts';

describe('npm run part3', () => {
  it('knows each step by its short name, its file name, or its path', () => {
    expect(programName('3c')).toBe('3c');
    expect(programName('webserver3c')).toBe('3c');
    expect(programName('part3/webserver3c.ts')).toBe('3c');
    expect(programName('client')).toBe('client');
    expect(programName('client3')).toBe('client');
    expect(programName('3z')).toBeUndefined();
    expect(Object.keys(PROGRAMS)).toEqual(['3a', '3b', '3c', '3d', '3e', '3f', '3g', '3h', '3i', 'client', 'baseline', 'net-floor']);
  });

  it("Part 3's lesson shows the usage it prints, every program listed", () => {
    const lesson = readFileSync(new URL('../part3/README.md', import.meta.url), 'utf8');
    expect(lesson).toContain(`> tsx scripts/part3.ts\n\n${usage()}\n\`\`\``);
  });

  it("replaces 3h's MODULE:EXPORT with its bundle, and leaves option values alone", async () => {
    const args = await prepareArguments('3h', ['--port', '8080', 'honoapp', '--quiet']);
    expect(args[0]).toBe('--port');
    expect(args[1]).toBe('8080');
    expect(args[2]).toBe(`${BUILD_DIR}/apps/part2_apps_honoapp.mjs:app`);
    expect(args[3]).toBe('--quiet');
    expect(await prepareArguments('3c', ['--sleep', '1'])).toEqual(['--sleep', '1']);
    await expect(prepareArguments('3i', ['nosuchapp'])).rejects.toThrow('Cannot load nosuchapp: no module nosuchapp');
  });

  it('bundles a step into plain JavaScript that imports the one shared gateway interface', async () => {
    const file = await buildProgram('3h');
    const source = readFileSync(file, 'utf8');
    expect(source).toContain('from "./shared/gateway.mjs"');
    expect(source).not.toMatch(/\bimport\s+type\b/);
  });

  it('writes import specifiers with / on every platform: Windows paths too (Node reads ..\\shared as a package name)', () => {
    const build = 'C:\\course\\.build\\part3';
    expect(importSpecifier(`${build}\\apps`, `${build}\\shared\\gateway.mjs`, path.win32)).toBe('../shared/gateway.mjs');
    expect(importSpecifier(build, `${build}\\shared\\gateway.mjs`, path.win32)).toBe('./shared/gateway.mjs');
    expect(importSpecifier('/course/.build/part3/apps', '/course/.build/part3/shared/gateway.mjs', path.posix)).toBe('../shared/gateway.mjs');
    expect(importSpecifier('/course/.build/part3', '/course/.build/part3/shared/gateway.mjs', path.posix)).toBe('./shared/gateway.mjs');
  });

  it("a bundled step runs as the program, while Part 2's bundled main does not", async () => {
    const file = await buildProgram('3h');
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('Provide a gateway application as module:export (e.g. npm run part3 -- 3h hello)');
  });
});
