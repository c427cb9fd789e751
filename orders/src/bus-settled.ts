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
