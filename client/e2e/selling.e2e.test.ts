import { createTicket, errorAlert, screenshots, signedUpUser, uniqueTitle, useBrowser } from './support';

const shot = screenshots(__filename);
const browser = useBrowser();

test('when the ticket form is rejected, then each API message is under its field and what was typed stays', async () => {
  const seller = await signedUpUser(browser(), 'seller');
  const { page } = seller;
  await page.goto('/tickets/new');
  await page.getByLabel('Price ($)').fill('free');
  await page.getByLabel('Price ($)').blur();
  expect(await page.getByLabel('Price ($)').inputValue()).toBe('free');
  await page.getByRole('button', { name: 'List ticket' }).click();

  const titleError = page.locator('#field-title-error');
  await titleError.waitFor();
  expect(await titleError.innerText()).toBe('Title is required');
  expect(await page.locator('#field-price-error').innerText()).toBe('Price must be greater than 0');
  expect(await errorAlert(page).count()).toBe(0);
  expect(await page.getByLabel('Price ($)').inputValue()).toBe('free');
  await shot(page, 'sell-form-errors');

  // Corrected, the same form lists the ticket.
  const title = uniqueTitle('Theatre');
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Price ($)').fill('15');
  await page.getByRole('button', { name: 'List ticket' }).click();
  await page.getByRole('heading', { name: title }).waitFor();
  expect(await page.getByTestId('price').innerText()).toBe('$15.00');
  await seller.context.close();
});

test('when the seller edits their ticket, then the ticket page shows the new title and price', async () => {
  const seller = await signedUpUser(browser(), 'seller');
  const { page } = seller;
  const ticket = await createTicket(seller, uniqueTitle('Circus'), 10);
  const newTitle = uniqueTitle('Circus (front row)');

  await page.goto(`/tickets/${ticket.id}`);
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.waitForURL(/\/edit$/);
  expect(await page.getByLabel('Price ($)').inputValue()).toBe('10.00');
  await page.getByLabel('Title').fill(newTitle);
  await page.getByLabel('Price ($)').fill('12.5');
  await shot(page, 'edit-form');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: newTitle }).waitFor();
  expect(await page.getByTestId('price').innerText()).toBe('$12.50');
  await shot(page, 'ticket-edited');

  // Another user sees no Edit link, and the edit page does not exist for them.
  const other = await signedUpUser(browser(), 'other');
  await other.page.goto(`/tickets/${ticket.id}`);
  expect(await other.page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
  expect(await other.page.getByRole('button', { name: 'Purchase' }).count()).toBe(1);
  const response = await other.page.goto(`/tickets/${ticket.id}/edit`);
  expect(response?.status()).toBe(404);
  await seller.context.close();
  await other.context.close();
});
