/**
 * npm run screenshots: every lesson and guide page at a laptop's, a projector's and a phone's
 * size, light and dark, into .build/screenshots/ (scripts/site/screenshots.ts says which shots).
 * Needs Chromium, as the browser test does: exit 1 without it.
 */
import { join } from 'node:path';
import { REPO_ROOT } from './lib/repo.ts';
import { findChromium } from './site/browser.ts';
import { takeScreenshots } from './site/screenshots.ts';

if (!findChromium()) {
  console.error("No Chromium found (install Debian's chromium, or set CHROMIUM_PATH): no screenshots taken.");
  process.exit(1);
}
const shots = join(REPO_ROOT, '.build', 'screenshots');
await takeScreenshots(shots);
console.log(`Screenshots in ${shots}`);
