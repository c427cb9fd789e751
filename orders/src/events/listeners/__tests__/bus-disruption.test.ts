import { ExpirationCompleteEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus } from '@ticketing/common/testing';
import { BUS_SETTLE_MS, watchBus } from '../../../bus-settled';
import { Order } from '../../../models/order';
import { makeOverdue, paymentEvents, placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { ExpirationCompleteListener } from '../expiration-complete-listener';
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
