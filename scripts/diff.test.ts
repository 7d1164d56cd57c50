import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from './lib/running-steps.ts';

const script = fileURLToPath(new URL('./diff.ts', import.meta.url));

/** Runs `npm run diff -- ARGS` as plain tsx; `closeStdout` plays a reader that has already gone (`| true`). */
function run(args: string[], closeStdout = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode(['--import', 'tsx', script, ...args], { env: { NO_COLOR: '1' }, closeStdout });
}

describe('npm run diff', () => {
  it('prints the unified diff from one step to the next, headed by the two files', async () => {
    const { code, stdout } = await run(['3f', '3g']);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(0, 2)).toEqual(['--- part3/webserver3f.ts', '+++ part3/webserver3g.ts']);
    expect(stdout).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@/m);
  });

  it('knows step 2b, persistent connections, beside 2', async () => {
    const { code, stdout } = await run(['2', '2b']);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(0, 2)).toEqual(['--- part2/webserver2.ts', '+++ part2/webserver2b.ts']);
  });

  it('exits 2 with one line on a step that is not one', async () => {
    expect(await run(['3f', '4'])).toEqual({ code: 2, stdout: '', stderr: "'4' is not a step: use 1, 1b, 2, 2b or 3a ... 3i\n" });
  });

  it('stops quietly when its reader has gone (| head), instead of crashing on EPIPE', async () => {
    const { code, stderr } = await run(['1', '2'], true);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
