/**
 * Headless Chromium from Debian's package (/usr/bin/chromium, installed by .ci/run), driven by
 * playwright-core: no browser download. Playwright gives every launch a fresh profile directory
 * (its own --user-data-dir). The background-networking flags matter: without them Chromium waits
 * on requests this closed network never answers. Screenshots go to test-artifacts/dashboard/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');

/** Why the browser tests cannot run here, or false. On CI a missing browser fails them instead. */
export const noBrowser: string | false = existsSync(CHROMIUM) || process.env.CI ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** The README's pictures: DASHBOARD_DOCS_SCREENSHOTS=1 rewrites these in docs/screenshots/ (desktop viewport, not the full page). */
const DOCS = new Set(['overview', 'failed', 'workers', 'failed-job']);

/** Full-page screenshots of the current page at desktop and phone widths: `<name>-desktop.png`, `<name>-phone.png`. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (process.env.DASHBOARD_DOCS_SCREENSHOTS === '1' && DOCS.has(name)) {
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: join(process.cwd(), 'docs', 'screenshots', `dashboard-${name}.png`), timeout: 15_000 });
  }
  for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true, timeout: 15_000 });
  }
  await page.setViewportSize(DESKTOP);
}
