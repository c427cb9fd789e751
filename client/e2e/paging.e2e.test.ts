import { createTicket, screenshots, signedUpUser, tableRows, uniqueTitle, useBrowser } from './support';

const shot = screenshots(__filename);
const browser = useBrowser();

/** The API's page size (tickets DEFAULT_LIST_LIMIT): one more ticket than that needs a second page. */
const PAGE_SIZE = 100;

test('when more tickets are for sale than fit on one page, then "Older tickets" pages through every one of them exactly once', async () => {
  const seller = await signedUpUser(browser(), 'seller');
  const prefix = uniqueTitle('Paged');
  const titles = Array.from({ length: PAGE_SIZE + 1 }, (_, i) => `${prefix} #${String(i).padStart(3, '0')}`);
  // The first one alone, so it is the oldest and cannot be on the first page; the rest in
  // parallel batches (their order within a batch is the server's).
  await createTicket(seller, titles[0], 1);
  for (let i = 1; i < titles.length; i += 10) {
    await Promise.all(titles.slice(i, i + 10).map((title) => createTicket(seller, title, 1)));
  }

  const { page } = seller;
  await page.goto('/');
  const seen: string[] = [];
  const mine = (rows: string[]) => rows.map((row) => row.replace(/ \$1\.00 View$/, '')).filter((title) => title.startsWith(prefix));

  const firstPage = mine(await tableRows(page, 'tickets'));
  expect(firstPage).not.toContain(titles[0]);
  expect(await page.getByRole('link', { name: 'Newest tickets' }).count()).toBe(0);
  seen.push(...firstPage);
  await shot(page, 'first-page');

  for (let pages = 1; (await page.getByRole('link', { name: 'Older tickets' }).count()) > 0; pages += 1) {
    expect(pages).toBeLessThan(20);
    const url = page.url();
    const previous = (await tableRows(page, 'tickets'))[0];
    await page.getByRole('link', { name: 'Older tickets' }).click();
    await page.waitForURL((next) => next.toString() !== url && next.searchParams.has('before'));
    await page.getByRole('link', { name: 'Newest tickets' }).waitFor();
    // The URL changes before the new page is rendered: wait for the table itself to change.
    await page.waitForFunction(
      (prev) => (document.querySelector('[data-testid="tickets"] tbody tr') as HTMLElement | null)?.innerText.replace(/\s+/g, ' ').trim() !== prev,
      previous,
    );
    seen.push(...mine(await tableRows(page, 'tickets')));
    if (pages === 1) await shot(page, 'older-page');
  }

  // Every ticket once, and the oldest last.
  expect([...seen].sort()).toEqual(titles);
  expect(seen.at(-1)).toBe(titles[0]);
  await page.getByRole('link', { name: 'Newest tickets' }).click();
  await page.waitForURL((next) => !next.searchParams.has('before'));
  // Back on the newest page. Other tests run beside this one and list or reserve tickets,
  // which shifts where ours start; what must hold is that our newest one leads again.
  expect(await page.getByRole('link', { name: 'Newest tickets' }).count()).toBe(0);
  expect(mine(await tableRows(page, 'tickets'))[0]).toBe(firstPage[0]);
  await seller.context.close();
});
