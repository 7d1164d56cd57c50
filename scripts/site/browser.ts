/**
 * A real browser for the site's test and screenshots: playwright-core driving
 * the machine's own Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH).
 * playwright-core downloads no browser, so where there is no Chromium the
 * browser test skips and says why, and `npm test` stays green on any laptop.
 *
 * The site is served by the course's own Part 2 gateway server with the
 * static-file application (what `npm start` runs inside the pre-forked pool),
 * on 127.0.0.1 at a free port.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { staticFiles } from '../../part2/apps/static.ts';
import { startGateway } from '../lib/servers.ts';

/** Where Chromium may be: CHROMIUM_PATH first, then Debian's and other distributions' names. */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium executable, or undefined when this machine has none. */
export function findChromium(): string | undefined {
  return CANDIDATES.find((path): path is string => !!path && existsSync(path));
}

/**
 * Headless, and quiet: no GPU, no sandbox (the test may run as root in a
 * container, where Chromium's sandbox cannot start), and nothing that talks to
 * the network on its own (background updates, sync, QUIC, first-run pages).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with a fresh profile, and how to close it (which also deletes the profile). */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Starts Chromium with a fresh user-data-dir (a new temporary folder: no
 * remembered theme or cache from an earlier run).
 *
 * @throws when no Chromium is found, or it does not start
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no Chromium found: install Debian\'s chromium package or set CHROMIUM_PATH');
  const profile = mkdtempSync(join(tmpdir(), 'site-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    // Playwright's own defaults would add flags of its choosing; these are all we want.
    ignoreDefaultArgs: ['--enable-automation'],
    viewport: { width: 1366, height: 768 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A served copy of the built site. */
export interface ServedSite {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  close(): Promise<void>;
}

/** Serves the folder `dir` (a built site) with the course's own gateway server and static-file app. */
export async function serveSite(dir: string): Promise<ServedSite> {
  // The server npm start runs in each worker: persistent connections (webserver2b.ts), as browsers use them.
  const gateway = await startGateway(staticFiles(dir), {}, true);
  return { url: `http://${gateway.target.host}:${gateway.target.port}/`, close: () => gateway.close() };
}

/** Code blocks of one page that scroll sideways at the page's current viewport. */
export interface CodeFit {
  blocks: number;
  scrolling: number;
  /** Blocks that fit because a long line wraps under its indent (site.css). */
  wrapping: number;
  /** Each scrolling block: how many px it is wider than its box. */
  overflows: number[];
}

/**
 * Measures, in the page as laid out now, how many of main's code blocks need
 * a sideways scroll. Folded solutions are opened first, so their blocks count too.
 */
export function measureCodeFit(page: Page): Promise<CodeFit> {
  return page.evaluate(() => {
    for (const details of document.querySelectorAll('main details')) (details as HTMLDetailsElement).open = true;
    const pres = [...document.querySelectorAll('main pre')];
    const overflows = pres.map((pre) => pre.scrollWidth - pre.clientWidth).filter((over) => over > 1);
    // A wrapped line is a line taller than one line of text.
    const wrapping = pres.filter((pre) =>
      [...pre.querySelectorAll('.line')].some((line) => (line as HTMLElement).offsetHeight > 1.5 * parseFloat(getComputedStyle(line).lineHeight)),
    ).length;
    return { blocks: pres.length, scrolling: overflows.length, wrapping, overflows };
  });
}
