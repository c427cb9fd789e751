import { createTicket, errorAlert, eventually, screenshots, signedUpUser, uniqueTitle, useBrowser } from './support';

const shot = screenshots(__filename);
const browser = useBrowser();

test('when a second buyer purchases a ticket another buyer has just reserved, then they see "Ticket is already reserved"', async () => {
  const seller = await signedUpUser(browser(), 'seller');
  const title = uniqueTitle('Opera');
  const ticket = await createTicket(seller, title, 45);
  const first = await signedUpUser(browser(), 'first-buyer');
  const second = await signedUpUser(browser(), 'second-buyer');

  // Both open the ticket while it is free; the first one purchases it.
  await second.page.goto(`/tickets/${ticket.id}`);
  await first.page.goto(`/tickets/${ticket.id}`);
  await first.page.getByRole('button', { name: 'Purchase' }).click();
  await first.page.waitForURL(/\/orders\/[^/]+$/);
  await first.page.getByRole('timer').waitFor();

  // The second one's click comes too late.
  await second.page.getByRole('button', { name: 'Purchase' }).click();
  const alert = errorAlert(second.page);
  await alert.waitFor();
  expect(await alert.innerText()).toBe('Ticket is already reserved');
  expect(second.page.url()).toMatch(new RegExp(`/tickets/${ticket.id}$`));
  await shot(second.page, 'ticket-already-reserved');

  // Reloaded, the page shows the ticket reserved and offers no purchase.
  await eventually(async () => {
    await second.page.reload();
    expect(await second.page.getByText('Reserved', { exact: true }).count()).toBe(1);
  });
  expect(await second.page.getByRole('button', { name: 'Purchase' }).count()).toBe(0);
  await shot(second.page, 'ticket-reserved');

  for (const user of [seller, first, second]) await user.context.close();
});
