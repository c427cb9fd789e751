/**
 * Whether orders' view of payments can be trusted to be current. A hold that a buyer is
 * paying for is extended by payment:started; if the bus was just disturbed (NATS Streaming
 * restarted, the connection dropped), that event may have been sent to this process while
 * it could not receive it, and the server sends it again only after its ackWait. Until
 * then, a hold that looks over might be a hold being paid: orders does not give it away,
 * and the sweeper ends it once the bus has been steady for `BUS_SETTLE_MS` (payments
 * refunds any charge that still lands on a cancelled order).
 */
export const BUS_SETTLE_MS = 15_000; // the listeners' 10 s ackWait, plus the time to handle

let lastDisruptionAt: () => number = () => 0;

/** Reads the bus's last disruption from now on (index.ts; tests pass their own clock). */
export function watchBus(bus: { lastDisruptionAt?(): number }): void {
  lastDisruptionAt = () => (bus.lastDisruptionAt ? bus.lastDisruptionAt() : 0);
}

export function busSettled(now = Date.now()): boolean {
  return now - lastDisruptionAt() >= BUS_SETTLE_MS;
}

let paymentListeners: { holds(orderId: string): boolean }[] = [];

/** The payment listeners whose waiting events `paymentEventWaiting` looks for (index.ts). */
export function watchPaymentEvents(listeners: { holds(orderId: string): boolean }[]): void {
  paymentListeners = listeners;
}

/**
 * Whether a payment event for this order is in this process's hands and not yet applied:
 * it failed (the database was down) and waits for its retry. While it does, orders' view
 * of the order's payment is behind, as after a disturbed bus: a hold that looks over might
 * be a hold being paid, so it is not given away (the event extends or completes it, or
 * the sweeper ends it after).
 */
export function paymentEventWaiting(orderId: string): boolean {
  return paymentListeners.some((l) => l.holds(orderId));
}
