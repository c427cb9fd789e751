import request from 'supertest';
import { Types } from 'mongoose';
import { Order } from '../models/order';
import { backfillUserOrders } from '../models/user-orders';
import { buyer, testApp } from '../test/helpers';

// A measurement, not a check: runs only with ORDERS_LIST_BENCH=1.
const maybe = process.env.ORDERS_LIST_BENCH === '1' ? it : it.skip;

function orderDocs(userId: string, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const ticketId = new Types.ObjectId().toHexString();
    return {
      _id: new Types.ObjectId(),
      userId,
      status: 'created',
      expiresAt: new Date(Date.now() + 900_000),
      ticket: { id: ticketId, title: `T${i}`, price: 10, version: 0 },
      ticketLock: ticketId,
      version: 0,
      outbox: [],
    };
  });
}

maybe('when 20,000 orders are stored, then one list request takes (measured)', async () => {
  const { app } = testApp();
  const me = buyer();
  const other = orderDocs(new Types.ObjectId().toHexString(), 20_000);
  for (let i = 0; i < other.length; i += 1000) await Order.collection.insertMany(other.slice(i, i + 1000));
  await Order.collection.insertMany(orderDocs(me.id, 5));
  // Stored before the index existed: indexed once, as the service's start does.
  const b0 = process.hrtime.bigint();
  await backfillUserOrders();
  console.log(`backfill of 20,005 orders: ${(Number(process.hrtime.bigint() - b0) / 1e6).toFixed(0)} ms`);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const res = await request(app).get('/api/orders').set('Cookie', me.cookie).expect(200);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    expect(res.body).toHaveLength(5);
  }
  console.log(`GET /api/orders with 20,005 orders stored: ${times.map((t) => t.toFixed(1)).join(' ms, ')} ms`);
}, 300_000);
