/**
 * Screenshots of every lesson and guide page, to look at before a change to
 * the site lands: `npm run screenshots` (scripts/screenshots.ts; needs Chromium, as the browser test).
 *
 * Builds the site into a temporary folder, serves it with the course's own
 * server, and writes PNGs to .build/screenshots/: each page at 1366x768 (a
 * laptop), 1024x768 (a projector) and 390x844 (a phone), light and dark, the
 * top of the page and the first diagram, table or code block that scrolls;
 * and the pages issue 23 named besides the lessons: the 404 page below the
 * root, a source page, a diagram full size, the phone menu open. It also
 * prints the projector check: at 1024x768, how many code blocks of each page
 * fit without a sideways scroll.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite } from './build.ts';
import { launchChromium, measureCodeFit, serveSite } from './browser.ts';

const VIEWPORTS = [
  { name: 'laptop', width: 1366, height: 768 },
  { name: 'projector', width: 1024, height: 768 },
  { name: 'phone', width: 390, height: 844 },
];

/** Pages that are not lessons, each shot like a lesson: `name` is the file's stem. */
const EXTRA_PAGES = [
  { name: '404-below-root', path: 'part1/typo.html' },
  { name: 'source-webserver3i', path: 'src/part3/webserver3i.ts.html' },
  { name: 'diagram-zombie', path: 'diagrams/part3-zombie.html' },
];

/** Takes every screenshot into the folder `shots` (emptied first). Needs Chromium (findChromium). */
export async function takeScreenshots(shots: string): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'site-shots-'));
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const result = buildSite({ outDir, allowDrift: true });
  const site = await serveSite(outDir);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') console.error(`console error on ${page.url()}: ${message.text()}`);
    });
    console.log('Projector check, 1024x768: code blocks that fit without scrolling sideways');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${site.url}part2/index.html`);
    await page.locator('main .code').nth(3).evaluate((block) => block.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: join(shots, 'part2_index-wide-1920-light-code.png') });
    for (const { output } of result.pages) {
      await page.setViewportSize({ width: 1024, height: 768 });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(site.url + output);
      const fit = await measureCodeFit(page);
      if (output === 'part2/index.html') await page.screenshot({ path: join(shots, 'part2_index-projector-1024-light.png'), fullPage: false });
      const share = fit.blocks ? Math.round((100 * (fit.blocks - fit.scrolling)) / fit.blocks) : 100;
      console.log(`  ${output.padEnd(26)} ${String(fit.blocks - fit.scrolling).padStart(3)}/${String(fit.blocks).padEnd(3)} ${String(share).padStart(3)}%` +
        `   ${fit.wrapping} with a wrapped line` + (fit.scrolling ? `; scrolling: over by ${fit.overflows.join(', ')} px` : ''));
      for (const theme of ['light', 'dark'] as const) {
        for (const viewport of VIEWPORTS) {
          await page.setViewportSize(viewport);
          await page.emulateMedia({ colorScheme: theme });
          await page.goto(site.url + output);
          const stem = join(shots, `${output.replace(/\//g, '_').replace(/\.html$/, '')}-${viewport.name}-${theme}`);
          await page.screenshot({ path: `${stem}-top.png` });
          // The first diagram, and the first code block that scrolls or has a wrapped line:
          // where a layout goes wrong first.
          const diagram = page.locator('main .diagram').first();
          if (await diagram.count()) {
            await diagram.scrollIntoViewIfNeeded();
            await page.screenshot({ path: `${stem}-figure.png` });
          }
          const marked = await page.evaluate(() => {
            const wraps = [...document.querySelectorAll('main .pre-wrap')];
            // (No named helper functions in here: tsx would wrap them in a __name() the page lacks.)
            const wide = wraps.find((wrap) => wrap.classList.contains('scrolls') ||
              [...wrap.querySelectorAll('.line')].some((line) => (line as HTMLElement).offsetHeight > 1.5 * (parseFloat(getComputedStyle(line).lineHeight) || 24)));
            wide?.setAttribute('data-shot', '');
            return !!wide;
          });
          if (marked) {
            await page.locator('[data-shot]').evaluate((wrap) => wrap.scrollIntoView({ block: 'center' }));
            await page.screenshot({ path: `${stem}-code.png` });
          }
          const table = page.locator('main .table-wrap').first();
          if (await table.count()) {
            await table.evaluate((wrap) => wrap.scrollIntoView({ block: 'center' }));
            await page.screenshot({ path: `${stem}-table.png` });
          }
          if (viewport.name === 'phone' && (await page.locator('.course-nav summary').count())) {
            await page.locator('.course-nav summary').click();
            await page.locator('.course-nav').scrollIntoViewIfNeeded();
            await page.screenshot({ path: `${stem}-menu.png` });
          }
          if (output === 'index.html') {
            await page.fill('#search-input', 'zombie');
            await page.locator('#search-results a').first().waitFor();
            await page.screenshot({ path: `${stem}-search.png` });
          }
        }
      }
    }
    for (const extra of EXTRA_PAGES) {
      for (const theme of ['light', 'dark'] as const) {
        for (const viewport of VIEWPORTS) {
          await page.setViewportSize(viewport);
          await page.emulateMedia({ colorScheme: theme });
          await page.goto(site.url + extra.path);
          await page.screenshot({ path: join(shots, `${extra.name}-${viewport.name}-${theme}.png`) });
        }
      }
    }
    // Paper, from the dark theme: the light palette.
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${site.url}part3/02-zombies.html`);
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    await page.screenshot({ path: join(shots, 'part3_02-zombies-print-from-dark.png') });
    await page.emulateMedia({ media: 'screen' });
  } finally {
    await browser.close();
    await site.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}
