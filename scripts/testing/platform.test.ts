import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { missing, where } from './platform.ts';
import { pickInspector, ps } from '../lib/processes.ts';

describe('missing: what a platform lacks, named', () => {
  it('names the concept Windows lacks, and nothing on Linux or macOS', () => {
    expect(missing('zombies', 'win32')).toMatch(/^Windows has no zombies/);
    expect(missing('POSIX signals', 'win32')).toMatch(/^Windows has no POSIX signals/);
    expect(missing('process groups', 'win32')).toMatch(/^Windows has no process groups/);
    for (const platform of ['linux', 'darwin'] as const) {
      expect([missing('zombies', platform), missing('POSIX signals', platform), missing('symlinks', platform)]).toEqual([undefined, undefined, undefined]);
    }
  });
});

describe('process inspection: /proc on Linux, ps and lsof elsewhere, nothing on Windows', () => {
  it('picks its source by platform, and LSBAWS_PROCESSES overrides it', () => {
    expect(pickInspector({}, 'linux')).toBe('proc');
    expect(pickInspector({}, 'darwin')).toBe('ps');
    expect(pickInspector({}, 'freebsd')).toBe('ps');
    expect(pickInspector({}, 'win32')).toBeUndefined();
    expect(pickInspector({ LSBAWS_PROCESSES: 'ps' }, 'linux')).toBe('ps');
    expect(() => pickInspector({ LSBAWS_PROCESSES: 'wmi' }, 'linux')).toThrow('LSBAWS_PROCESSES=wmi: pick proc or ps');
  });

  where('a process table').it('ps lists a child with its parent, a live state, and its memory; then it is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const [info] = ps(['-p', String(child.pid)]);
    expect(info).toMatchObject({ pid: child.pid, ppid: process.pid }); // name: node, or MainThread while Node 24 starts
    expect(info!.state).toMatch(/^[RSD]$/);
    expect(info!.rss).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(ps(['-p', String(child.pid)])).toEqual([]);
  });
});
