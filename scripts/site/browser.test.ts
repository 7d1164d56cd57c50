/**
 * The course site in a real browser (Chromium through playwright-core), as a
 * class uses it: search, copy buttons, the dark theme, code on a projector and
 * a phone. Runs where Chromium is installed and skips, saying so, elsewhere.
 * The links are checked by reading the built HTML, so that part runs everywhere.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite, type BuildResult } from './build.ts';
import { findChromium, launchChromium, measureCodeFit, serveSite, type Browser, type ServedSite } from './browser.ts';

let outDir = '';
let result: BuildResult;

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'site-browser-'));
  // Drift is the drift check's to report (lessons.test.ts): here we want the pages whatever it finds.
  result = buildSite({ outDir, allowDrift: true });
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Every file of the built site, as a site path: `part1/index.html`. */
function siteFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? siteFiles(dir, path) : [path];
  });
}

describe('the built site', () => {
  it('has every internal link and anchor resolving to a file and an id of the site', () => {
    const files = siteFiles(outDir);
    const html = files.filter((file) => file.endsWith('.html'));
    const ids = new Map<string, Set<string>>();
    const idsOf = (file: string) => {
      if (!ids.has(file)) ids.set(file, new Set([...readFileSync(join(outDir, file), 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)));
      return ids.get(file)!;
    };
    const broken: string[] = [];
    let checked = 0;
    for (const file of html) {
      const text = readFileSync(join(outDir, file), 'utf8');
      for (const [, attr, value] of text.matchAll(/\s(href|src)="([^"]*)"/g)) {
        if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(value!)) continue; // http:, mailto:, data: leave the site
        const [path, hash] = value!.replace(/&amp;/g, '&').split('#') as [string, string | undefined];
        const target = path ? posix.normalize(posix.join(posix.dirname(file), decodeURI(path))) : file;
        checked++;
        if (!existsSync(join(outDir, target))) broken.push(`${file}: ${attr}="${value}" (no ${target})`);
        else if (hash && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(hash))) broken.push(`${file}: ${attr}="${value}" (no id ${hash} in ${target})`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it("publishes none of the site builder's test fixtures", () => {
    expect(siteFiles(outDir).filter((file) => file.includes('scripts/site/fixtures'))).toEqual([]);
  });
});

const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`the site in Chromium${chromiumPath ? '' : ' (skipped: no Chromium on this machine; install Debian\'s chromium or set CHROMIUM_PATH)'}`, () => {
  let browser: Browser;
  let site: ServedSite;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    site = await serveSite(outDir);
    browser = await launchChromium();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.url.replace(/\/$/, '') });
    page = await browser.context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('finds "zombie" and opens the section that explains it, not just the page', async () => {
    await page.goto(`${site.url}part1/index.html`);
    await page.keyboard.press('/');
    await page.keyboard.type('zombie');
    const first = page.locator('#search-results a').first();
    await first.waitFor();
    expect(await first.locator('.r-title').textContent()).toMatch(/zombie/i);
    const href = (await first.getAttribute('href'))!;
    expect(href).toMatch(/^\.\.\/[\w/-]+\.html#[\w-]+$/);
    await first.click();
    await page.waitForURL(new URL(href, `${site.url}part1/index.html`).href);
    const id = decodeURIComponent(new URL(page.url()).hash.slice(1));
    const heading = page.locator(`[id="${id}"]`);
    expect(await heading.textContent()).toMatch(/zombie/i);
    // The browser scrolled to it: the heading is on the screen.
    const box = (await heading.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeLessThan(page.viewportSize()!.height);
  });

  it('finds a name from the code, startResponse, in Part 2, and Enter opens the first result', async () => {
    await page.goto(`${site.url}index.html`);
    await page.fill('#search-input', 'startResponse');
    const first = page.locator('#search-results a').first();
    await first.waitFor();
    expect(await first.getAttribute('href')).toMatch(/^part2\//);
    await page.press('#search-input', 'Enter');
    await page.waitForURL(/\/part2\/.*#/);
  });

  it('copies a terminal session\'s command without the $ prompt or its output', async () => {
    await page.goto(`${site.url}part1/index.html`);
    const block = page.locator('figure.code[data-copy^="curl -v"]').first();
    await block.hover();
    await block.locator('button.copy').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('curl -v http://localhost:8888/hello');
    expect(await block.locator('button.copy').textContent()).toBe('Copied');
  });

  it('copies a code block whole, line for line', async () => {
    await page.goto(`${site.url}part1/index.html`);
    const block = page.locator('figure.code:has(code.language-ts)').first();
    await block.hover();
    await block.locator('button.copy').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const lines = await block.locator('.line').allTextContents();
    expect(copied).toBe(lines.join('\n'));
    expect(lines.length).toBeGreaterThan(3);
  });

  it('follows prefers-color-scheme, and remembers the toggle', async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${site.url}part3/02-zombies.html`);
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    expect(await background()).toBe('rgb(15, 20, 26)');
    // Diagrams follow: the zombie diagram's white card is dark.
    const card = page.locator('.diagram svg rect[fill="#ffffff"]').first();
    expect(await card.evaluate((rect) => getComputedStyle(rect).fill)).toBe('rgb(20, 27, 35)');

    await page.click('.theme-toggle');
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    await page.reload();
    expect(await page.getAttribute('html', 'data-theme')).toBe('light'); // remembered, though the system says dark
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.click('.theme-toggle');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.reload();
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    await page.evaluate(() => localStorage.removeItem('theme'));
  });

  it('on a projector (1024x768), code at the default size needs no sideways scroll in 80% or more of each page\'s blocks', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    const report: string[] = [];
    const failing: string[] = [];
    for (const { output } of result.pages) {
      await page.goto(site.url + output);
      const fit = await measureCodeFit(page);
      const fits = fit.blocks - fit.scrolling;
      report.push(`${output}: ${fits}/${fit.blocks}`);
      if (fits < 0.8 * fit.blocks) failing.push(`${output}: ${fits} of ${fit.blocks} fit (over by ${fit.overflows.join(', ')} px)`);
    }
    console.log(`projector check, blocks without a sideways scroll: ${report.join(', ')}`);
    expect(failing).toEqual([]);
  });

  it('on a phone (390x844), a block that scrolls says so, and a diagram fits the screen with a link to it full size', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${site.url}part2/index.html`);
    const fit = await measureCodeFit(page);
    expect(fit.scrolling).toBeGreaterThan(0);
    expect(await page.locator('.pre-wrap.scrolls').count()).toBe(fit.scrolling);
    const hint = await page.locator('.pre-wrap.scrolls').first().evaluate((wrap) => getComputedStyle(wrap, '::after').content);
    expect(hint).toContain('scroll');
    for (const svg of await page.locator('.diagram svg').all()) {
      const box = (await svg.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    expect(await page.locator('a.diagram-open').count()).toBe(await page.locator('.diagram svg').count());
    expect(page.url()).toMatch(/part2/);
  });

  it('logged no console errors on any page it opened', () => {
    expect(errors).toEqual([]);
  });
});
