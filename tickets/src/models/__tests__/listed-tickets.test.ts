import path from 'node:path';
import { captureLogger, measureInFreshProcess, newId } from '@ticketing/common/testing';
import { CLOCK_SKEW_ALLOWANCE_MS, ListedTickets, listedTickets } from '../listed-tickets';
import { Ticket } from '../ticket';
import { storeTicket } from '../../test/helpers';

const listedIds = (model = listedTickets) => (JSON.parse(model.page(100).json) as { id: string }[]).map((t) => t.id);

it('when another replica lists, reserves or frees tickets, then this replica shows it within the refresh interval plus one refresh query, not before', async () => {
  const { logger } = captureLogger();
  const freed = await storeTicket({ title: 'freed', orderId: newId(), version: 1 });
  const reserved = await storeTicket({ title: 'reserved' });
  await listedTickets.load();
  expect(listedIds()).toEqual([reserved.id]);
  const intervalMs = 300;
  const refreshing = listedTickets.keepFresh(intervalMs, logger);
  try {
    // Another replica's writes: straight to the database, nothing applied in this process.
    const changedAt = Date.now();
    const listed = await storeTicket({ title: 'listed' });
    await Ticket.updateOne({ _id: reserved._id }, { $set: { orderId: newId() }, $inc: { version: 1 } });
    await Ticket.updateOne({ _id: freed._id }, { $unset: { orderId: '' }, $inc: { version: 1 } });
    const expected = [listed.id, freed.id];

    let visibleAt = 0;
    while (!visibleAt) {
      if (JSON.stringify(listedIds()) === JSON.stringify(expected)) visibleAt = Date.now();
      else if (Date.now() - changedAt > 10_000) throw new Error(`still ${JSON.stringify(listedIds())}`);
      else await new Promise((r) => setTimeout(r, 10));
    }
    // Stale for a while (served from memory), but never longer than the stated bound.
    expect(listedTickets.stalenessBoundMs(intervalMs)).toBe(intervalMs + listedTickets.lastRefreshMs);
    expect(visibleAt - changedAt).toBeLessThanOrEqual(listedTickets.stalenessBoundMs(intervalMs) + 50);
  } finally {
    await refreshing.stop();
  }
});

it('when the refresher is stopped, then it refreshes no more', async () => {
  const { logger } = captureLogger();
  await listedTickets.load();
  const refreshing = listedTickets.keepFresh(50, logger);
  await refreshing.stop();
  await storeTicket();
  await new Promise((r) => setTimeout(r, 200));
  expect(listedTickets.size).toBe(0);
});

it('when a refresh fails, then the previous list is kept and the failure is logged', async () => {
  const { logger, lines } = captureLogger();
  const ticket = await storeTicket();
  await listedTickets.load();
  const find = jest.spyOn(Ticket, 'find').mockImplementation(() => {
    throw new Error('database down');
  });
  const refreshing = listedTickets.keepFresh(50, logger);
  try {
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await refreshing.stop();
    find.mockRestore();
  }
  expect(listedIds()).toEqual([ticket.id]);
  expect(lines).toContainEqual(expect.objectContaining({ msg: 'ticket list refresh failed, serving the previous list' }));
});

it('when another replica stamped its write a little before the previous refresh started (clock skew), then the next refresh still applies it', async () => {
  await listedTickets.load();
  const ticket = await storeTicket();
  // As if that replica's clock were 20 s behind ours.
  const stamped = new Date(Date.now() - CLOCK_SKEW_ALLOWANCE_MS + 10_000);
  await Ticket.collection.updateOne({ _id: ticket._id }, { $set: { updatedAt: stamped } });
  await listedTickets.refresh();
  expect(listedIds()).toEqual([ticket.id]);
});

it('when an older state of a ticket arrives after a newer one, then the newer one stays', () => {
  const model = new ListedTickets();
  const id = newId();
  const base = { id, title: 'Concert', price: 20, userId: newId() };
  expect(model.apply({ ...base, version: 1, orderId: newId() })).toBe(true);
  // A refresh that read the ticket before this process reserved it.
  expect(model.apply({ ...base, version: 0 })).toBe(false);
  expect(listedIds(model)).toEqual([]);
  expect(model.apply({ ...base, version: 2, title: 'Freed' })).toBe(true);
  expect(model.apply({ ...base, version: 2, title: 'Freed' })).toBe(false);
  expect(JSON.parse(model.page(10).json)).toEqual([{ ...base, version: 2, title: 'Freed' }]);
});

it('when this process reserved a ticket while the start-up scan was reading it, then the scan does not list it again', async () => {
  const ticket = await storeTicket();
  const other = await storeTicket();
  // Our listener's write lands (version 1, reserved) while the scan still returns version 0.
  listedTickets.apply({ id: ticket.id, version: 1, title: 'Concert', price: 20, userId: ticket.userId, orderId: newId() });
  expect(await listedTickets.load()).toBe(2);
  expect(listedIds()).toEqual([other.id]);
});

it('when 20,000 tickets are listed, then the list takes well under 20 MB of memory', () => {
  // In a fresh process (measureInFreshProcess): measured in the jest worker, this read −9 MB.
  const source = path.join(__dirname, '../listed-tickets.ts');
  const built = path.join(__dirname, '../../../dist/models/listed-tickets.js');
  const script = `
    const { ListedTickets } = require(${JSON.stringify(built)});
    const { randomBytes } = require('node:crypto');
    const newId = () => randomBytes(12).toString('hex');
    const measure = (title) => {
      for (let i = 0; i < 4; i++) gc();
      const before = process.memoryUsage().heapUsed;
      const model = new ListedTickets();
      for (let i = 0; i < 20000; i++) {
        model.apply({ id: newId(), version: 3, title: title(i), price: 1234.56, userId: newId(), ...(i % 10 === 0 ? { orderId: newId() } : {}) });
      }
      for (let i = 0; i < 4; i++) gc();
      return { mb: (process.memoryUsage().heapUsed - before) / 2 ** 20, size: model.size };
    };
    const typical = measure((i) => 'Concert of the year, row ' + (i % 40) + ', seat ' + (i % 30));
    // Every title at the 200-character maximum: the worst case.
    const longest = measure((i) => String(i).padEnd(200, 'x'));
    process.stdout.write(JSON.stringify({ typical, longest }));`;
  const { typical, longest } = measureInFreshProcess<Record<'typical' | 'longest', { mb: number; size: number }>>({ source, built, script });
  console.log(`list memory for 20,000 tickets: ${typical.mb.toFixed(1)} MB typical, ${longest.mb.toFixed(1)} MB with 200-character titles`);
  expect(typical.size).toBe(18_000);
  // Not less than the JSON it must hold (18,000 strings of 100+ characters): a figure below
  // that means the measurement itself failed.
  expect(typical.mb).toBeGreaterThan(1.5);
  expect(typical.mb).toBeLessThan(10);
  expect(longest.mb).toBeGreaterThan(typical.mb);
  expect(longest.mb).toBeLessThan(15);
});
