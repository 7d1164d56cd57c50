/**
 * The course site in a real browser (Chromium through playwright-core), as a
 * class uses it: search, copy buttons, the dark theme, code on a projector and
 * a phone. Runs where Chromium is installed and skips, saying so, elsewhere.
 * The links are checked by reading the built HTML, so that part runs everywhere.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite, type BuildResult } from './build.ts';
import { findChromium, launchChromium, measureCodeFit, serveSite, type Browser, type ServedSite } from './browser.ts';
import { hardCodedPids } from './safe-commands.ts';

/** axe-core's browser build, injected into each page the accessibility check opens. */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/**
 * A bound for the tests that open every page (18 lessons, 118 source pages, 23 pages x 4 for
 * axe): only a hang should reach it, not a busy machine.
 */
const EVERY_PAGE_TIMEOUT = 900_000;

/** WCAG 2.2 A and AA, and axe's best practices. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];

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

  it('finds a name from the code, startResponse, in Part 2\'s source, and Enter opens the first result at its line', async () => {
    await page.goto(`${site.url}index.html`);
    await page.fill('#search-input', 'startResponse');
    const first = page.locator('#search-results a').first();
    await first.waitFor();
    expect(await first.getAttribute('href')).toMatch(/^src\/part2\/handler\.ts\.html#L\d+$/);
    await page.press('#search-input', 'Enter');
    await page.waitForURL(/\/src\/part2\/handler\.ts\.html#L\d+$/);
    expect(await page.locator('.line:target').textContent()).toContain('startResponse');
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
  }, EVERY_PAGE_TIMEOUT);

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

  it('links every page in one order: the sidebar reaches 2b from every page and back, previous/next walk it, and only the current page is aria-current', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    const order = result.pages.map((p) => p.output);
    const nextOf = new Map<string, string>();
    const prevOf = new Map<string, string>();
    const problems: string[] = [];
    for (const output of order) {
      await page.goto(site.url + output, { waitUntil: 'domcontentloaded' });
      const facts = await page.evaluate(() => ({
        sidebar: [...document.querySelectorAll('.course-nav a')].map((a) => (a as HTMLAnchorElement).href),
        current: [...document.querySelectorAll('[aria-current]')].map((a) => `${(a as HTMLAnchorElement).href} ${a.getAttribute('aria-current')}`),
        next: (document.querySelector('.pager a[rel="next"]') as HTMLAnchorElement | null)?.href,
        prev: (document.querySelector('.pager a[rel="prev"]') as HTMLAnchorElement | null)?.href,
        kicker: document.querySelector('main > .kicker')?.textContent ?? '',
      }));
      const here = site.url + output;
      if (facts.sidebar.map((href) => href.replace(site.url, '')).join(' ') !== order.join(' ')) problems.push(`${output}: the sidebar is not the reading order`);
      // The sidebar marks this page; so does the header where it links this very page (Part 1 on Part 1).
      if (!facts.current.includes(`${here} page`) || facts.current.some((entry) => entry !== `${here} page`)) problems.push(`${output}: aria-current on ${facts.current.join(', ')}`);
      if (facts.next) nextOf.set(output, facts.next.replace(site.url, ''));
      if (facts.prev) prevOf.set(output, facts.prev.replace(site.url, ''));
      const lesson = result.pages.find((p) => p.output === output)!.lesson;
      if (lesson && facts.kicker !== `Lesson ${lesson.n} of ${lesson.of}`) problems.push(`${output}: kicker "${facts.kicker}"`);
    }
    expect(problems).toEqual([]);
    // Next from the home page walks every page in order, 2b among them; previous walks back.
    const walked = ['index.html'];
    while (nextOf.has(walked.at(-1)!)) walked.push(nextOf.get(walked.at(-1)!)!);
    expect(walked).toEqual(order);
    expect(walked).toContain('part2/persistent.html');
    const back = [order.at(-1)!];
    while (prevOf.has(back.at(-1)!)) back.push(prevOf.get(back.at(-1)!)!);
    expect(back).toEqual([...order].reverse());
    // The home page names 2b, and Part 2 offers it as the next lesson past its reference pages.
    await page.goto(`${site.url}index.html`);
    expect(await page.locator('main a[href="part2/persistent.html"]').count()).toBeGreaterThan(0);
    await page.goto(`${site.url}part2/index.html`);
    expect(await page.locator('.pager .skip-ahead a').getAttribute('href')).toBe('persistent.html');
    // → and ← turn the page.
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(`${site.url}part2/listings.html`);
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL(`${site.url}part2/index.html`);
  }, EVERY_PAGE_TIMEOUT);

  it('copies no command with a process ID from the recording machine, on any page', async () => {
    const found: string[] = [];
    for (const { output } of result.pages) {
      await page.goto(site.url + output, { waitUntil: 'load' });
      const copied = await page.evaluate(() =>
        [...document.querySelectorAll('main .pre-wrap pre')].map((pre) => pre.closest('[data-copy]')?.getAttribute('data-copy') ?? (pre as HTMLElement).innerText),
      );
      for (const text of copied) for (const line of hardCodedPids(text)) found.push(`${output}: ${line}`);
    }
    expect(found).toEqual([]);
  }, EVERY_PAGE_TIMEOUT);

  it('serves the 404 page styled, with working links, below the root (/part1/typo.html)', async () => {
    const response = await page.goto(`${site.url}part1/typo.html`);
    expect(response!.status()).toBe(404);
    // The browser logs the 404 it was asked for: that one is no error of the site.
    errors.splice(0, errors.length, ...errors.filter((error) => !error.startsWith(`${site.url}part1/typo.html: Failed to load resource`)));
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.site-header')!).display)).toBe('flex');
    const hrefs = await page.evaluate(() => [...document.querySelectorAll('a[href], link[href], script[src]')].map((el) => (el as HTMLAnchorElement).href || (el as HTMLScriptElement).src).filter((url) => url.startsWith(location.origin)));
    expect(hrefs.length).toBeGreaterThan(20);
    const broken: string[] = [];
    for (const url of new Set(hrefs.map((href) => href.split('#')[0]!).filter((url) => url !== page.url()))) {
      const status = (await page.request.get(url)).status();
      if (status !== 200) broken.push(`${url}: ${status}`);
    }
    expect(broken).toEqual([]);
  });

  it('finds the section about chunked responses above passing mentions, and startResponse in handler.ts', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${site.url}index.html`);
    const titles = async (query: string) => {
      await page.fill('#search-input', '');
      await page.fill('#search-input', query);
      await page.locator('#search-list a').first().waitFor();
      return page.locator('#search-list a').evaluateAll((links) => links.map((a) => `${a.getAttribute('href')} ${a.querySelector('.r-title')!.textContent}`));
    };
    const chunked = await titles('chunked');
    expect(chunked.slice(0, 2).map((r) => r.split(' ')[0])).toEqual(expect.arrayContaining(['part2/persistent.html#where-a-response-ends-now-with-chunks']));
    const start = await titles('startResponse');
    expect(start[0]).toMatch(/^src\/part2\/handler\.ts\.html#L\d+ startResponse$/);
    // The combobox pattern: the input owns the listbox, the active option is its descendant, and a status line says how many.
    expect(await page.getAttribute('#search-input', 'role')).toBe('combobox');
    expect(await page.getAttribute('#search-input', 'aria-expanded')).toBe('true');
    expect(await page.getAttribute('#search-input', 'aria-activedescendant')).toBe('search-option-0');
    expect(await page.textContent('#search-status')).toMatch(/^\d+ results? for startResponse/);
    await page.press('#search-input', 'ArrowDown');
    expect(await page.getAttribute('#search-input', 'aria-activedescendant')).toBe('search-option-1');
    await page.press('#search-input', 'Escape');
  });

  it('on a projector (1024x768), no table is clipped and every source page fits without a sideways scroll', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    const clipped: string[] = [];
    for (const { output } of result.pages) {
      await page.goto(site.url + output, { waitUntil: 'load' });
      clipped.push(
        ...(await page.evaluate(() =>
          [...document.querySelectorAll('main table')].flatMap((table, i) => {
            const scroller = table.closest('.table-scroll') as HTMLElement | null;
            const main = document.querySelector('main')!.getBoundingClientRect();
            const box = (scroller ?? table).getBoundingClientRect();
            const scrolls = !!scroller && scroller.scrollWidth > scroller.clientWidth + 1;
            // A table may scroll, if it says so and takes the keyboard; it may never stick out of the column.
            if (box.right > main.right + 1) return [`${location.pathname}: table ${i + 1} sticks out by ${Math.round(box.right - main.right)} px`];
            if (scrolls && (scroller!.tabIndex !== 0 || !scroller!.parentElement!.classList.contains('scrolls'))) return [`${location.pathname}: table ${i + 1} scrolls without hint or focus`];
            return [];
          }),
        )),
      );
    }
    expect(clipped).toEqual([]);
    // The frameworks page's "Three shapes of one request" fits its column by wrapping.
    await page.goto(`${site.url}part2/frameworks.html`);
    expect(await page.locator('.table-wrap').first().evaluate((wrap) => wrap.classList.contains('scrolls'))).toBe(false);

    const sources = siteFiles(outDir).filter((file) => /^src\/.*\.ts\.html$/.test(file));
    expect(sources.length).toBeGreaterThan(50);
    const wide: string[] = [];
    for (const file of sources) {
      await page.goto(site.url + file, { waitUntil: 'domcontentloaded' });
      const over = await page.evaluate(() => [...document.querySelectorAll('main pre')].map((pre) => pre.scrollWidth - pre.clientWidth).filter((px) => px > 1));
      if (over.length) wide.push(`${file}: over by ${over.join(', ')} px`);
    }
    expect(wide).toEqual([]);
  }, EVERY_PAGE_TIMEOUT);

  it('prints in the light palette whichever theme is on', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${site.url}part3/02-zombies.html`);
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(255, 255, 255)');
    expect(await page.evaluate(() => getComputedStyle(document.body).color)).toBe('rgb(22, 25, 29)');
    const card = page.locator('.diagram svg rect[fill="#ffffff"]').first();
    expect(await card.evaluate((rect) => getComputedStyle(rect).fill)).toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
  });

  it('draws every diagram label inside its box, and "full size" is larger than inline', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    const outside: string[] = [];
    const pagesWithDiagrams = result.pages.filter((p) => readFileSync(join(outDir, p.output), 'utf8').includes('class="diagram"'));
    expect(pagesWithDiagrams.length).toBeGreaterThan(3);
    for (const { output } of pagesWithDiagrams) {
      await page.goto(site.url + output, { waitUntil: 'load' });
      outside.push(
        ...(await page.evaluate(() => {
          const found: string[] = [];
          for (const svg of document.querySelectorAll('.diagram svg')) {
            const rects = [...svg.querySelectorAll('rect')].map((rect) => rect.getBoundingClientRect());
            for (const text of svg.querySelectorAll('text')) {
              const box = text.getBoundingClientRect();
              // The box a label starts in is the smallest rect holding its start; the label must end inside it too.
              const holders = rects.filter((r) => r.left <= box.left + 1 && r.right >= box.left + 1 && r.top <= box.top + box.height / 2 && r.bottom >= box.top + box.height / 2);
              const holder = holders.sort((a, b) => a.width * a.height - b.width * b.height)[0];
              if (holder && box.right > holder.right + 0.5) found.push(`${location.pathname} ${svg.getAttribute('aria-label')}: "${text.textContent}" runs ${Math.round(box.right - holder.right)} px past its box`);
            }
          }
          return found;
        })),
      );
    }
    expect(outside).toEqual([]);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${site.url}part3/02-zombies.html`);
    const inline = (await page.locator('.diagram svg').first().boundingBox())!.width;
    await page.locator('a.diagram-open').first().click();
    await page.waitForURL(/\/diagrams\/[\w-]+\.html$/);
    const full = (await page.locator('.diagram-full img').boundingBox())!.width;
    expect(full).toBeGreaterThan(2 * inline);
    // Pinch-zoom stays allowed: the viewport does not fix the scale.
    expect(await page.getAttribute('meta[name="viewport"]', 'content')).not.toMatch(/maximum-scale|user-scalable/);
  }, EVERY_PAGE_TIMEOUT);

  it('on a touch phone, the copy button and the scroll hint cover no code; the tables of contents reopen as they closed', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
    try {
      await page.goto(`${site.url}part3/04-pool.html`);
      expect(await page.evaluate(() => matchMedia('(hover: none)').matches)).toBe(true);
      const overlaps = await page.evaluate(() => {
        const hits: string[] = [];
        const intersects = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        for (const wrap of document.querySelectorAll('main .pre-wrap')) {
          const button = wrap.querySelector('.copy')!.getBoundingClientRect();
          const pre = wrap.querySelector('pre')!.getBoundingClientRect();
          if (intersects(button, pre)) hits.push(`copy button over ${wrap.textContent!.slice(0, 30)}`);
          if (wrap.classList.contains('scrolls')) {
            const badge = getComputedStyle(wrap, '::after');
            if (badge.position === 'absolute') hits.push(`scroll badge over ${wrap.textContent!.slice(0, 30)}`);
          }
        }
        return hits;
      });
      expect(overlaps).toEqual([]);
    } finally {
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
      await cdp.detach();
    }
    // On a desktop the table of contents folds and unfolds with the mouse as with the keyboard.
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${site.url}part3/04-pool.html`);
    const toc = page.locator('.toc details');
    await page.locator('.toc summary').focus();
    await page.keyboard.press('Enter');
    expect(await toc.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.locator('.toc summary').click();
    expect(await toc.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.locator('.toc summary').click();
    expect(await toc.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.keyboard.press('Enter');
    expect(await toc.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  });

  it('the theme toggle says one thing, "Dark theme", pressed or not', async () => {
    await page.goto(`${site.url}part1/index.html`);
    const state = () => page.locator('.theme-toggle').evaluate((b) => `${b.textContent!.trim()} ${b.getAttribute('aria-pressed')} ${b.getAttribute('title')}`);
    const before = await state();
    await page.click('.theme-toggle');
    const after = await state();
    expect(before.replace(/ (true|false) /, ' ')).toBe(after.replace(/ (true|false) /, ' '));
    expect(before).toMatch(/Dark theme/);
    expect(before).not.toBe(after);
    await page.click('.theme-toggle');
    await page.evaluate(() => localStorage.removeItem('theme'));
  });

  it('passes axe-core (WCAG 2.2 A/AA and best practices) with nothing critical or serious on every page, light and dark, at 1366 and 390', async () => {
    // Every lesson and guide, the 404 page, a diagram page, and a source page of each kind.
    const targets = [...result.pages.map((p) => p.output), '404.html', 'diagrams/part3-zombie.html', 'src/part2/handler.ts.html', 'src/part1/transcripts/index.html', 'src/part2/apps/index.html'];
    // Every rule at 1366 in the light theme; in the other three, each rule whose answer can
    // change there (colours with the theme; target sizes, scrolling and the rest of the layout
    // with the width), so the check costs about half of four full runs.
    const runsOf = [
      { width: 1366, theme: 'light', options: { runOnly: { type: 'tag', values: AXE_TAGS } } },
      { width: 1366, theme: 'dark', options: { runOnly: { type: 'rule', values: ['color-contrast', 'link-in-text-block'] } } },
      { width: 390, theme: 'light', options: { runOnly: { type: 'tag', values: AXE_TAGS }, rules: { 'color-contrast': { enabled: false } } } },
      { width: 390, theme: 'dark', options: { runOnly: { type: 'rule', values: ['color-contrast', 'target-size', 'scrollable-region-focusable'] } } },
    ] as const;
    const found: string[] = [];
    let runs = 0;
    for (const { width, theme, options } of runsOf) {
        await page.setViewportSize({ width, height: width > 500 ? 768 : 844 });
        await page.emulateMedia({ colorScheme: theme });
        for (const target of targets) {
          await page.goto(site.url + target, { waitUntil: 'load' });
          await page.addScriptTag({ path: AXE });
          const violations = await page.evaluate(
            (options) =>
              (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe
                .run(document, { ...options, resultTypes: ['violations'] })
                .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, count: v.nodes.length, first: v.nodes[0]?.target.join(' ') }))),
            options,
          );
          runs++;
          for (const v of violations) if (v.impact === 'critical' || v.impact === 'serious') found.push(`${target} ${width} ${theme}: ${v.id} (${v.impact}) x${v.count}, first ${v.first}`);
        }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
    expect(runs).toBe(targets.length * runsOf.length);
  }, EVERY_PAGE_TIMEOUT);

  it('logged no console errors on any page it opened', () => {
    expect(errors).toEqual([]);
  });
});
