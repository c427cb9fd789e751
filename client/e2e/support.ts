// Shared by the browser tests: the browser, users, API shortcuts, screenshots, waiting.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const BASE_URL = requiredEnv('E2E_BASE_URL').replace(/\/+$/, '');
/** The hold of an order in the stack under test (ORDER_EXPIRATION_SECONDS). */
export const ORDER_EXPIRATION_SECONDS = Number(process.env.E2E_ORDER_EXPIRATION_SECONDS ?? 900);
export const SCREENSHOT_DIR = requiredEnv('E2E_SCREENSHOT_DIR');
export const PASSWORD = 'correct-horse-battery';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with "npm run e2e" (client/e2e/run.js)`);
  return value;
}

/**
 * Debian's Chromium, never a downloaded browser. playwright-core adds --headless and a
 * fresh temporary --user-data-dir itself (it refuses --user-data-dir in args, and
 * removes the directory on close).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

const pageErrors: string[] = [];

/**
 * A browser context on the stack, whose uncaught errors and console errors (React's
 * hydration mismatches among them) are collected for takePageErrors(). The browser's
 * own "Failed to load resource" line for an API answering 4xx is expected and ignored.
 */
export async function openContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: BASE_URL, ...options });
  context.on('weberror', (error) => pageErrors.push(`${error.page()?.url()}: ${error.error().message}`));
  context.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      pageErrors.push(`${message.page()?.url()}: ${message.text()}`);
    }
  });
  return context;
}

/** The errors pages logged since the last call (each test file checks after each test). */
export function takePageErrors(): string[] {
  return pageErrors.splice(0);
}

/**
 * The browser of one test file: launched before its tests, closed after them; after each
 * test, no page may have logged an error. Returns a getter (the browser exists only once
 * beforeAll has run).
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(() => {
    expect(takePageErrors()).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is not launched yet (use it inside a test)');
    return browser;
  };
}

export function uniqueEmail(role: string): string {
  return `${role}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.com`;
}

export function uniqueTitle(what: string): string {
  return `${what} ${randomBytes(3).toString('hex')}`;
}

export interface User {
  email: string;
  context: BrowserContext;
  page: Page;
}

/**
 * A user with a browser context of their own, signed up through the API: the context's
 * request shares its cookie jar, so the page is signed in. (The sign-up form itself is
 * tested once, in purchase.e2e.test.ts.)
 */
export async function signedUpUser(browser: Browser, role: string): Promise<User> {
  const context = await openContext(browser);
  const email = uniqueEmail(role);
  let response = await context.request.post('/api/users/signup', { data: { email, password: PASSWORD } });
  // auth sheds sign-ups beyond its hashing capacity with 503 + Retry-After: wait and retry.
  for (let tries = 1; response.status() === 503 && tries < 20; tries++) {
    await new Promise((r) => setTimeout(r, 500));
    response = await context.request.post('/api/users/signup', { data: { email, password: PASSWORD } });
  }
  if (response.status() !== 201) throw new Error(`sign up of ${email}: ${response.status()} ${await response.text()}`);
  return { email, context, page: await context.newPage() };
}

export async function createTicket(user: User, title: string, price: number): Promise<{ id: string }> {
  const response = await user.context.request.post('/api/tickets', { data: { title, price } });
  if (response.status() !== 201) throw new Error(`create ticket: ${response.status()} ${await response.text()}`);
  return response.json();
}

/** Screenshots are named <test file>-<nn>-<step>.png, in the order taken. */
export function screenshots(file: string) {
  let n = 0;
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return async (page: Page, step: string) => {
    n += 1;
    const name = `${path.basename(file).replace(/\.e2e\.test\.ts$/, '')}-${String(n).padStart(2, '0')}-${step}.png`;
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
  };
}

/** Retries `check` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** The trimmed text of every row of a table, for readable assertions. */
export async function tableRows(page: Page, testId: string): Promise<string[]> {
  const rows = page.locator(`[data-testid="${testId}"] tbody tr`);
  return (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Pages of the landing page the helpers below follow at most (100 tickets a page). */
const MAX_LANDING_PAGES = 20;

/**
 * The main text of the whole landing page, freshly loaded: every page of it, following
 * "Older tickets" (other tests, the paging one among them, may list enough tickets to push
 * a ticket off the first page).
 */
export async function landingText(page: Page): Promise<string> {
  const texts: string[] = [];
  await page.goto('/');
  for (let n = 1; ; n += 1) {
    texts.push(await page.locator('main').innerText());
    const older = page.getByRole('link', { name: 'Older tickets' });
    if (n >= MAX_LANDING_PAGES || (await older.count()) === 0) break;
    await page.goto((await older.getAttribute('href'))!);
  }
  return texts.join(' ').replace(/\s+/g, ' ');
}

/** The landing page's row of `title`: on the first page, or on an older one reached by "Older tickets". */
export async function landingRow(page: Page, title: string) {
  await page.goto('/');
  for (let n = 1; ; n += 1) {
    const row = page.locator('[data-testid="tickets"] tbody tr', { hasText: title });
    if ((await row.count()) > 0) return row;
    const older = page.getByRole('link', { name: 'Older tickets' });
    if (n >= MAX_LANDING_PAGES || (await older.count()) === 0) throw new Error(`"${title}" is on no page of the landing page`);
    await page.goto((await older.getAttribute('href'))!);
  }
}

/** The page's error alert (Next's route announcer also has role=alert, outside main). */
export function errorAlert(page: Page) {
  return page.locator('main [role="alert"]');
}
