/**
 * The live class page (`npm run class -- ROSTER --watch`) in a real browser
 * (Chromium through playwright-core): served by the course's pre-forked pool,
 * a click shows a cell's details, and a student who starts their server sees
 * their row turn green after the Recheck button. Runs where Chromium is
 * installed and skips, saying so, elsewhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../part1/webserver1.ts';
import { findChromium, launchChromium, type Browser } from '../site/browser.ts';

const CLASS = fileURLToPath(new URL('../class.ts', import.meta.url));
const chromiumPath = findChromium();
const servers: Server[] = [];
let dir = '';
let watcher: ChildProcess | undefined;
let browser: Browser | undefined;

/** A free port: one the system gives, closed again for the test to listen on later. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the watcher on a free port and resolves with its page's address, read off its banner. */
async function startWatch(roster: string): Promise<string> {
  // A round every 10 minutes: only the Recheck button starts a second one within the test.
  const args = ['--import', 'tsx', CLASS, roster, '--watch', '--port', '0', '--host', '127.0.0.1', '--interval', '600', '--timeout', '2'];
  watcher = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  watcher.stderr!.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: watcher.stdout! });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /^The class page: (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    watcher!.once('exit', (code) => reject(new Error(`npm run class --watch exited (${code}) before serving:\n${stderr}`)));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'class-browser-'));
});
afterAll(async () => {
  await browser?.close();
  if (watcher && watcher.exitCode === null) {
    watcher.kill('SIGTERM'); // it stops its pool, which drains and exits, then exits itself
    await once(watcher, 'exit');
  }
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const skipped = chromiumPath ? '' : " (skipped: no Chromium on this machine; install Debian's chromium or set CHROMIUM_PATH)";
describe.skipIf(!chromiumPath)(`the live class page in Chromium${skipped}`, () => {
  it('shows a cell\'s details on a click, and turns a row green after a recheck', { timeout: 90_000 }, async () => {
    const ada = await listen(0, '127.0.0.1', () => {});
    servers.push(ada);
    const dennisPort = await freePort();
    const roster = join(dir, 'class.txt');
    writeFileSync(roster, `Ada 127.0.0.1:${(ada.address() as AddressInfo).port} 1\nDennis 127.0.0.1:${dennisPort} 1\n`);
    const url = await startWatch(roster);
    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(url);

    // The first round's results arrive (the page reloads results.html every 2 s).
    const dennis = page.locator('tr[data-student="Dennis"]');
    await dennis.locator('td.v-refused').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('tr[data-student="Ada"]').getAttribute('class')).toBe('done');
    expect(await dennis.getAttribute('class')).toBe('');
    expect(await dennis.locator('td.progress').textContent()).toBe('0/7 pass, next: telnet');

    await dennis.locator('td.v-refused button').first().click();
    const detail = page.locator('.detail:not([hidden])');
    expect(await detail.locator('h3').textContent()).toBe('Dennis, part 1, telnet: refused');
    expect(await detail.locator('pre').textContent()).toContain(`no connection to 127.0.0.1:${dennisPort}: ECONNREFUSED`);

    // Dennis starts his server; the Recheck button starts the next round at once.
    servers.push(await listen(dennisPort, '127.0.0.1', () => {}));
    await page.locator('#recheck').click();
    await page.locator('tr[data-student="Dennis"].done').waitFor({ timeout: 30_000 });
    expect(await dennis.locator('td.progress').textContent()).toBe('7/7 pass');
    expect(await page.locator('p.status').getAttribute('data-round')).not.toBe('1');
    // The details shown stay open across the reload, now saying the check passed.
    expect(await page.locator('.detail:not([hidden]) h3').textContent()).toBe('Dennis, part 1, telnet: pass');
  });
});
