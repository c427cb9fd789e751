'use strict';
// Where the time of GET /api/tickets goes: the same query the tickets service runs,
// straight to a fresh FerretDB (through its gate), with the MongoDB driver, no service in
// between. Prints milliseconds per query for a few shapes of it.
//
//   node bench/list-query.js [--docs 400]
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MongoClient } = require('mongodb');
const { freePort, tcpOpen } = require('../scripts/stack/processes');

const i = process.argv.indexOf('--docs');
const DOCS = i > 0 ? Number(process.argv[i + 1]) : 400;

async function main() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fdb-'));
  const db = spawn(path.join(__dirname, '../tools/bin/ferretdb'), ['--listen', `127.0.0.1:${port}`, '--data-dir', dir], { stdio: 'ignore' });
  try {
    for (let n = 0; !(await tcpOpen(port)); n++) {
      if (n > 100) throw new Error('ferretdb did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = await MongoClient.connect(`mongodb://127.0.0.1:${port}`);
    const col = client.db('bench').collection('tickets');
    const docs = Array.from({ length: DOCS }, (_, n) => ({
      title: `Ticket ${n}`, price: n + 1, userId: 'u', version: 0, createdAt: new Date(Date.now() + n), outbox: [],
      ...(n % 2 ? { orderId: 'o' } : {}),
    }));
    await col.insertMany(docs);
    await col.createIndex({ createdAt: -1 });
    const time = async (name, fn, runs = 50) => {
      await fn();
      const t = process.hrtime.bigint();
      for (let n = 0; n < runs; n++) await fn();
      return { query: name, 'ms/query': Number((Number(process.hrtime.bigint() - t) / 1e6 / runs).toFixed(2)) };
    };
    console.log(`FerretDB, ${DOCS} tickets (half reserved)`);
    console.table([
      await time('findOne by _id', () => col.findOne({ _id: docs[7]._id })),
      await time('the list: not reserved, newest first, 100', () =>
        col.find({ orderId: { $exists: false } }).sort({ createdAt: -1 }).limit(100).toArray()),
      await time('sort + limit 100, no filter', () => col.find({}).sort({ createdAt: -1 }).limit(100).toArray()),
      await time(`every document (${DOCS})`, () => col.find({}).toArray()),
    ]);
    await client.close();
  } finally {
    db.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
