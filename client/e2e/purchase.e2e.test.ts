import type { Page } from 'playwright-core';
import { BASE_URL, eventually, landingRow, landingText, openContext, PASSWORD, screenshots, tableRows, uniqueEmail, uniqueTitle, useBrowser } from './support';

const shot = screenshots(__filename);
const browser = useBrowser();

async function signUpWithTheForm(page: Page, email: string) {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

test('when a seller lists a ticket and a buyer purchases and pays, then the order is complete and the ticket leaves the landing page', async () => {
  const title = uniqueTitle('Concert');

  // The seller signs up with the form and lists a ticket.
  const seller = await openContext(browser());
  const sellerPage = await seller.newPage();
  const sellerEmail = uniqueEmail('seller');
  await signUpWithTheForm(sellerPage, sellerEmail);
  expect(await sellerPage.getByTestId('current-user').innerText()).toBe(sellerEmail);
  await shot(sellerPage, 'landing-signed-in');

  await sellerPage.getByRole('link', { name: 'Sell tickets' }).click();
  await sellerPage.getByLabel('Title').fill(title);
  await sellerPage.getByLabel('Price ($)').fill('20.5');
  await sellerPage.getByLabel('Price ($)').blur();
  expect(await sellerPage.getByLabel('Price ($)').inputValue()).toBe('20.50');
  await shot(sellerPage, 'sell-form');
  await sellerPage.getByRole('button', { name: 'List ticket' }).click();
  await sellerPage.waitForURL(/\/tickets\/[^/]+$/);
  await sellerPage.getByRole('heading', { name: title }).waitFor();
  expect(await sellerPage.getByTestId('price').innerText()).toBe('$20.50');
  // No buying one's own ticket: no Purchase button, an Edit link instead.
  expect(await sellerPage.getByRole('button', { name: 'Purchase' }).count()).toBe(0);
  expect(await sellerPage.getByRole('link', { name: 'Edit' }).count()).toBe(1);
  await shot(sellerPage, 'ticket-own');

  // The buyer signs up, finds the ticket on the landing page and purchases it.
  const buyer = await openContext(browser());
  const page = await buyer.newPage();
  await signUpWithTheForm(page, uniqueEmail('buyer'));
  const row = await landingRow(page, title);
  expect((await row.innerText()).replace(/\s+/g, ' ')).toContain(`${title} $20.50`);
  await shot(page, 'landing-with-ticket');
  await row.getByRole('link', { name: 'View' }).click();
  await page.getByRole('heading', { name: title }).waitFor();
  await shot(page, 'ticket');
  await page.getByRole('button', { name: 'Purchase' }).click();

  // The order page counts the hold down.
  await page.waitForURL(/\/orders\/[^/]+$/);
  const orderUrl = page.url();
  const timer = page.getByRole('timer');
  const first = await timer.innerText();
  expect(first).toMatch(/^You have (\d+ m )?\d+ s left to pay$/);
  await page.waitForFunction((text) => document.querySelector('[role="timer"]')?.textContent !== text, first, { timeout: 3_000 });
  await shot(page, 'order-countdown');

  // Paying shows the order complete, then lands on My orders.
  await page.getByRole('button', { name: 'Pay with test card' }).click();
  await page.getByText('Order complete').waitFor({ timeout: 20_000 });
  await shot(page, 'order-complete');
  await page.waitForURL(`${BASE_URL}/orders`, { timeout: 10_000 });
  await page.getByRole('heading', { name: 'My orders' }).waitFor();
  expect(await tableRows(page, 'orders')).toContain(`${title} Complete $20.50`);
  await shot(page, 'my-orders');

  // The order page, reloaded, is rendered complete by the server.
  await page.goto(orderUrl);
  expect(await page.getByRole('status').innerText()).toBe('Order complete');

  // The ticket is no longer for sale (the tickets service learns of the order by event).
  await eventually(async () => expect(await landingText(page)).not.toContain(title));
  await shot(page, 'landing-after-sale');
  await seller.close();
  await buyer.close();
});
