#!/usr/bin/env node
// nats-client-check.js: what one NATS Streaming user can do, tried with the client the
// services use (node-nats-streaming from the repository's node_modules). Run by
// nats_test.go against a real nats-streaming-server started with the manifests' config.
//
// env: NATS_URL, NATS_CLUSTER_ID, CHECK_USER, CHECK_PASSWORD, CHECK_CHANNELS (JSON array:
// every channel to try to publish on), CHECK_SUBSCRIBE (a channel the user may publish:
// subscribed to as a durable queue group with manual acks, to prove that deliveries
// arrive and that acks reach the server).
// Prints one JSON line: {connected, error?, publish: {channel: "ok" | "refused: …"},
// deliveries, redelivered, closed, permissionErrors}.
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const stan = require(require.resolve('node-nats-streaming', { paths: [root] }));

const channels = JSON.parse(process.env.CHECK_CHANNELS || '[]');
const subscribeTo = process.env.CHECK_SUBSCRIBE;
const result = { connected: false, publish: {}, deliveries: 0, redelivered: 0, closed: false, permissionErrors: [] };
const done = () => {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
setTimeout(() => {
  result.error = result.error || 'timed out';
  done();
}, 20000).unref();

const sc = stan.connect(process.env.NATS_CLUSTER_ID, `check-${process.env.CHECK_USER}-${process.pid}`, {
  url: process.env.NATS_URL,
  user: process.env.CHECK_USER,
  pass: process.env.CHECK_PASSWORD,
  connectTimeout: 3000,
  ackTimeout: 2000,
  maxReconnectAttempts: 0,
  // Short client pings, so that the ping request subject is exercised too.
  stanPingInterval: 1000,
});
sc.on('error', (err) => {
  result.error = String(err && err.message ? err.message : err);
  if (!result.connected) done();
});
sc.on('connect', async () => {
  result.connected = true;
  sc.nc.on('permission_error', (err) => result.permissionErrors.push(String(err.message)));
  await Promise.all(
    channels.map(
      (ch) =>
        new Promise((resolve) =>
          sc.publish(ch, JSON.stringify({ check: ch }), (err) => {
            result.publish[ch] = err ? `refused: ${err.message || err}` : 'ok';
            resolve();
          }),
        ),
    ),
  );
  if (subscribeTo) {
    const opts = sc.subscriptionOptions().setDeliverAllAvailable().setManualAckMode(true).setAckWait(1000).setDurableName('check');
    const sub = sc.subscribe(subscribeTo, 'check-group', opts);
    sub.on('error', (err) => (result.error = `subscribe: ${err.message || err}`));
    sub.on('message', (msg) => {
      result.deliveries += 1;
      if (msg.isRedelivered()) result.redelivered += 1;
      msg.ack();
    });
    // Longer than ackWait plus a ping: an ack that never reaches the server comes back.
    await sleep(2500);
    await new Promise((resolve) => {
      sub.on('closed', resolve);
      sub.on('error', resolve);
      sub.close();
      setTimeout(resolve, 3000);
    });
  }
  sc.on('close', () => {
    result.closed = true;
    done();
  });
  sc.close();
});
