/**
 * npm test's runner (scripts/test.ts): the checks beside the tests, their output held until the
 * tests are done, the tests' arguments passed on as given, the first failure's exit status.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from './lib/running-steps.ts';

const script = fileURLToPath(new URL('./test.ts', import.meta.url));

describe('npm test (scripts/test.ts)', () => {
  it("prints a failed check's output after the tests, and exits with its status", async () => {
    // The check fails at once (no such file); the tests print their arguments, quoted as given.
    const check = 'node no-such-file-lsbaws.js';
    const tests = ['node', '-e', "console.log(process.argv.slice(1).join('|'))", 'a b', "it's"];
    const { code, stdout } = await runNode(['--import', 'tsx', script, check, '--', ...tests]);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe("a b|it's");
    expect(lines[1]).toMatch(/^node no-such-file-lsbaws\.js: FAILED \(exit status 1\) in \d+\.\d s, beside the tests$/);
    expect(stdout).toContain('no-such-file-lsbaws.js'); // its own message, held
    expect(code).toBe(1);
  });

  it('exits with the tests\' status when the checks pass, and 2 on a command line without --', async () => {
    const passed = await runNode(['--import', 'tsx', script, 'node --version', '--', 'node', '-e', 'process.exitCode = 4']);
    expect(passed.stdout).toMatch(/^node --version: passed in \d+\.\d s, beside the tests\nv\d+\./);
    expect(passed.code).toBe(4);
    const usage = await runNode(['--import', 'tsx', script, 'node --version']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: tsx scripts/test.ts');
  });
});
