import { ExpirationCompleteEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus } from '@ticketing/common/testing';
import { BUS_SETTLE_MS, watchBus, watchPaymentEvents } from '../../../bus-settled';
import { Order } from '../../../models/order';
import { makeOverdue, paymentEvents, placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { ExpirationCompleteListener } from '../expiration-complete-listener';
import { PaymentCreatedListener } from '../payment-created-listener';
import { PaymentStartedListener } from '../payment-started-listener';

// Right after the bus was disturbed, a payment:started sent to orders may be lost in the
// drop and come back only after its ackWait: a hold that looks over is not given away
// until the bus has been steady long enough for such an event to come back.
const expired = (orderId: string) => envelopeOf<ExpirationCompleteEvent>(Subjects.ExpirationComplete, { orderId });
const bus = new InMemoryBus();
beforeEach(() => {
  bus.disruptedAt = 0;
  watchBus(bus);
});
afterAll(() => watchBus({}));
afterEach(() => watchPaymentEvents([]));

it('when the bus was just disturbed, then an over hold is not cancelled; the late payment:started then keeps it for the buyer', async () => {
  const { orderId } = await placeOrder(testApp().app);
  await makeOverdue(orderId);
  bus.simulateReconnect();
  const { logger, lines } = captureLogger();

  expect(await new ExpirationCompleteListener(bus, logger).handle(expired(orderId))).toBe('acked');
  expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0 });
  expect(lines.some((l) => /bus was just disturbed/.test(String(l.msg)))).toBe(true);
  expect((await sentEvents()).published).toEqual([]);

  // The payment:started that was lost in the drop comes back: the hold is extended.
  await new PaymentStartedListener(bus, logger).handle(paymentEvents.started(orderId, new Date(Date.now() + 45_000)));
  bus.disruptedAt = Date.now() - BUS_SETTLE_MS - 1;
  await new ExpirationCompleteListener(bus, logger).handle(expired(orderId));
  expect(await Order.findById(orderId)).toMatchObject({ status: 'created' });
});

it('when the bus has been steady for the settle time, then an over hold is cancelled as usual', async () => {
  const { orderId } = await placeOrder(testApp().app);
  await makeOverdue(orderId);
  bus.disruptedAt = Date.now() - BUS_SETTLE_MS - 1;
  await new ExpirationCompleteListener(bus, captureLogger().logger).handle(expired(orderId));
  expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled' });
});

it('when a payment event for the order waits here for its retry, then an over hold is not cancelled; the event then completes the order', async () => {
  const { orderId } = await placeOrder(testApp().app);
  await makeOverdue(orderId);
  bus.disruptedAt = Date.now() - BUS_SETTLE_MS - 1; // the bus is steady: only the waiting event defers
  // The boundary: what a payment listener answers while its delivery for this order failed
  // (the database was down) and waits for the retry (common's bus.test.ts proves `holds`).
  let waiting = true;
  watchPaymentEvents([{ holds: (id) => waiting && id === orderId }]);
  const { logger, lines } = captureLogger();

  expect(await new ExpirationCompleteListener(bus, logger).handle(expired(orderId))).toBe('acked');
  expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0 });
  expect(lines.some((l) => /a payment event waits here for its retry/.test(String(l.msg)))).toBe(true);
  expect((await sentEvents()).published).toEqual([]);

  // The retry lands: the payment completes the order, and a late expiration changes nothing.
  waiting = false;
  expect(await new PaymentCreatedListener(bus, logger).handle(paymentEvents.created(orderId))).toBe('acked');
  await new ExpirationCompleteListener(bus, logger).handle(expired(orderId));
  expect(await Order.findById(orderId)).toMatchObject({ status: 'complete' });
});

it('when a payment event waits for another order, then this over hold is cancelled as usual', async () => {
  const { orderId } = await placeOrder(testApp().app);
  await makeOverdue(orderId);
  bus.disruptedAt = Date.now() - BUS_SETTLE_MS - 1;
  watchPaymentEvents([{ holds: (id) => id !== orderId }]);
  await new ExpirationCompleteListener(bus, captureLogger().logger).handle(expired(orderId));
  expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled' });
});
