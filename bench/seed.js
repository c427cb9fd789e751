'use strict';
// Seeds a marketplace's worth of history straight into the services' databases (through
// their FerretDB gates, with the MongoDB driver), in the document shapes the services
// write themselves (tickets/src/models/ticket.ts, orders/src/models/order.ts and
// orders/src/models/ticket.ts), so that `scale` measures the same code paths over a large
// store. 20,000 documents over the API would take minutes; this takes seconds.
//
// What N means: N tickets and N orders.
// - half the tickets are sold: version 1, orderId = a complete order (paid);
// - the other half are for sale again after a cancelled hold: version 2, releasedOrderIds =
//   [that order], so the list carries N/2 tickets;
// - orders keeps a replica of every ticket (same version, heldBy the last order) and the
//   N orders (N/2 complete, N/2 cancelled), spread over 500 buyers and 200 sellers.
// Ids carry creation times in the past hour, so whatever the bench lists later is newer.
// The payments database is not seeded (the scale case names tickets and orders).
const { randomBytes } = require('node:crypto');
const { MongoClient, ObjectId } = require('mongodb');

const BATCH = 1_000;

/** An ObjectId created `secondsAgo` seconds ago (random rest, like a driver's). */
function pastId(secondsAgo) {
  const b = randomBytes(12);
  b.writeUInt32BE(Math.floor(Date.now() / 1000 - secondsAgo), 0);
  return new ObjectId(b);
}

async function insertAll(col, docs) {
  for (let i = 0; i < docs.length; i += BATCH) {
    await col.insertMany(docs.slice(i, i + BATCH), { ordered: false });
  }
}

/**
 * Inserts N tickets and N orders. `uris` = {tickets, orders}: mongodb://host:port/<db>.
 * Returns the counts and how long it took.
 */
async function seed(uris, n, log = () => undefined) {
  const started = Date.now();
  const sellers = Array.from({ length: 200 }, () => randomBytes(12).toString('hex'));
  const buyers = Array.from({ length: 500 }, () => randomBytes(12).toString('hex'));
  const now = new Date();

  const tickets = [];
  const replicas = [];
  const orders = [];
  for (let i = 0; i < n; i++) {
    const secondsAgo = 3600 - Math.floor((i * 3000) / n); // oldest first, all > 10 min old
    const ticketId = pastId(secondsAgo);
    const orderId = pastId(secondsAgo - 60);
    const sold = i % 2 === 0;
    const userId = sellers[i % sellers.length];
    const buyer = buyers[i % buyers.length];
    const title = `Seeded ticket ${i}`;
    const price = 10 + (i % 490);
    const createdAt = ticketId.getTimestamp();
    const version = sold ? 1 : 2;
    tickets.push({
      _id: ticketId,
      title,
      price,
      userId,
      version,
      ...(sold && { orderId: orderId.toHexString() }),
      releasedOrderIds: sold ? [] : [orderId.toHexString()],
      outbox: [],
      createdAt,
      // The tickets list's refresh reads changes by updatedAt: now, so a running service
      // picks the seed up at its next refresh.
      updatedAt: now,
    });
    replicas.push({ _id: ticketId.toHexString(), title, price, userId, version, heldBy: orderId.toHexString() });
    orders.push({
      _id: orderId,
      userId: buyer,
      status: sold ? 'complete' : 'cancelled',
      expiresAt: new Date(orderId.getTimestamp().getTime() + 15 * 60_000),
      ticket: { id: ticketId.toHexString(), title, price, version: 0 },
      ticketLock: sold ? ticketId.toHexString() : `released:${orderId.toHexString()}`,
      version: 1,
      ...(sold && { paymentId: randomBytes(12).toString('hex') }),
      ...(sold && { payment: { id: randomBytes(12).toString('hex'), status: 'paid' } }),
      outbox: [],
      createdAt: orderId.getTimestamp(),
    });
  }

  const ticketsClient = await MongoClient.connect(uris.tickets);
  const ordersClient = await MongoClient.connect(uris.orders);
  try {
    log(`seeding ${n} tickets`);
    await insertAll(ticketsClient.db().collection('tickets'), tickets);
    log(`seeding ${n} ticket replicas and ${n} orders`);
    await insertAll(ordersClient.db().collection('tickets'), replicas);
    await insertAll(ordersClient.db().collection('orders'), orders);
  } finally {
    await ticketsClient.close();
    await ordersClient.close();
  }
  const forSale = tickets.filter((t) => !t.orderId).map((t) => t._id.toHexString()).sort();
  return { tickets: n, orders: n, forSale: forSale.length, newestForSale: forSale.at(-1), seconds: (Date.now() - started) / 1000 };
}

module.exports = { seed };
