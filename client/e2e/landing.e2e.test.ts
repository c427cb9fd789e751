import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { BASE_URL, openContext, screenshots, useBrowser } from './support';

const shot = screenshots(__filename);
const browser = useBrowser();

interface LoadTiming {
  ttfbMs: number;
  domContentLoadedMs: number;
  loadMs: number;
  transferredKb: number;
}

async function loadLanding(context: BrowserContext): Promise<LoadTiming> {
  const page = await context.newPage();
  await page.goto('/', { waitUntil: 'load' });
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const bytes = nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0);
    return { ttfbMs: nav.responseStart, domContentLoadedMs: nav.domContentLoadedEventEnd, loadMs: nav.loadEventEnd, transferredKb: bytes / 1024 };
  });
  await page.close();
  return timing;
}

test('when a first-time visitor opens the landing page, then it loads with no request leaving the site (timings recorded)', async () => {
  const context = await openContext(browser());
  const foreign: string[] = [];
  context.on('request', (request) => {
    if (!request.url().startsWith(BASE_URL)) foreign.push(request.url());
  });

  const cold = await loadLanding(context);
  const warm = await loadLanding(context);
  const page = await context.newPage();
  await page.goto('/');
  await page.getByRole('heading', { name: 'Tickets for sale' }).waitFor();
  // Bootstrap's CSS is bundled and served by the app (no CDN).
  const navbarDisplay = await page.locator('nav.navbar').evaluate((el) => getComputedStyle(el).display);
  expect(navbarDisplay).toBe('flex');
  await shot(page, 'landing');

  const round = (t: LoadTiming) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  const report = { url: `${BASE_URL}/`, measuredAt: new Date().toISOString(), cold: round(cold), warm: round(warm) };
  const file = path.resolve(process.env.E2E_SCREENSHOT_DIR!, '..', 'landing-timing.json');
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`landing page first load: ${JSON.stringify(report.cold)}; second load: ${JSON.stringify(report.warm)} (${file})`);

  expect(foreign).toEqual([]);
  // A generous budget: this catches a page that hangs on something, not a slow machine.
  expect(cold.loadMs).toBeLessThan(10_000);
  await context.close();
});
