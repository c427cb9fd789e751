import http from 'node:http';
import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import express from 'express';
import mongoose from 'mongoose';
import { createEnvelope, runService, Subjects } from '../index';
import { captureLogger, useTestDatabase } from '../testing';
import { NATS_CLUSTER_ID, NATS_URL, unique } from './helpers';

// A real service process built with main() + runService() from the compiled package, on
// the real MongoDB-protocol server and NATS Streaming: SIGTERM lets a request in flight
// finish, then the process exits 0; a missing variable exits 1 naming it.
jest.setTimeout(60_000);
useTestDatabase();

const DIST = JSON.stringify(require.resolve('../../dist'));
const script = `
  const express = require('express');
  const { main, runService, createApp, createLogger, loadConfig, baseEnv, sessionEnv, mongoEnv, natsEnv } = require(${DIST});
  main('demo', async () => {
    const config = loadConfig({ ...baseEnv, ...sessionEnv, ...mongoEnv, ...natsEnv('demo') });
    const logger = createLogger('demo', 'info');
    const router = express.Router();
    router.get('/slow', async (_req, res) => {
      await new Promise((r) => setTimeout(r, 800));
      res.send({ done: true });
    });
    const svc = await runService({
      name: 'demo', logger, port: 0, mongoUri: config.MONGO_URI,
      nats: { url: config.NATS_URL, clusterId: config.NATS_CLUSTER_ID, clientId: config.NATS_CLIENT_ID },
      app: ({ isReady }) => createApp({ logger, jwtKey: config.JWT_KEY, cookieSecure: false, routers: [router], isReady }),
    });
    process.stdout.write('PORT ' + svc.port + '\\n');
    return svc;
  });`;

function start(env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, ['-e', script], {
    cwd: __dirname,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (err += b));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => out, errors: () => err };
}

async function portOf(p: ReturnType<typeof start>): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const m = /PORT (\d+)/.exec(p.output());
    if (m) return Number(m[1]);
    if (p.child.exitCode !== null) throw new Error(`exited: ${p.errors()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('service did not start');
}

let running: ChildProcess | undefined;
afterEach(() => running?.kill('SIGKILL'));

it('when SIGTERM arrives during a request, then the request completes, new ones are refused, and the process exits 0', async () => {
  const { host, port, name } = mongoose.connection;
  const svc = start({
    JWT_KEY: randomBytes(32).toString('hex'),
    MONGO_URI: `mongodb://${host}:${port}/${name}`,
    NATS_URL,
    NATS_CLUSTER_ID,
    NATS_CLIENT_ID: unique('demo'),
  });
  running = svc.child;
  const url = `http://127.0.0.1:${await portOf(svc)}`;
  expect((await fetch(`${url}/readyz`)).status).toBe(200);

  const inFlight = fetch(`${url}/slow`);
  await new Promise((r) => setTimeout(r, 200));
  svc.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  await expect(fetch(`${url}/readyz`)).rejects.toThrow(); // no longer accepting

  const res = await inFlight;
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ done: true });
  expect(await svc.exited).toBe(0);
  expect(svc.output()).toMatch(/demo shutting down/);
  expect(svc.output()).toMatch(/demo stopped/);
});

it('when required variables are missing, then it exits 1 naming each of them', async () => {
  const svc = start({ JWT_KEY: randomBytes(32).toString('hex') });
  running = svc.child;
  expect(await svc.exited).toBe(1);
  expect(svc.errors()).toMatch(/MONGO_URI is required but not set/);
  expect(svc.errors()).toMatch(/NATS_URL is required but not set/);
  expect(svc.errors()).toMatch(/NATS_CLUSTER_ID is required but not set/);
});

it('when runService has started a service, then an envelope built without a source carries its name, and a given source is kept', async () => {
  const svc = await runService({ name: 'demo-source', logger: captureLogger().logger, port: 0, app: () => express() });
  try {
    expect(createEnvelope(Subjects.ExpirationComplete, { orderId: 'o1' }, { requestId: 'r1' }).meta).toMatchObject({
      requestId: 'r1',
      source: 'demo-source',
    });
    expect(createEnvelope(Subjects.ExpirationComplete, { orderId: 'o1' }, { source: 'chaos' }).meta.source).toBe('chaos');
  } finally {
    await svc.stop();
  }
});

it('when a connection stays idle longer than Node\'s default 5 s, then the service still serves the next request on it (a proxy in front keeps it longer)', async () => {
  const app = express().get('/ping', (_req, res) => {
    res.send('pong');
  });
  const svc = await runService({ name: 'demo-keepalive', logger: captureLogger().logger, port: 0, app: () => app });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ body: string; socket: unknown }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: svc.port, path: '/ping', agent }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ body, socket: req.socket }));
      });
      req.on('error', reject);
    });
  try {
    const first = await get();
    await new Promise((r) => setTimeout(r, 6_000));
    const second = await get();
    expect(second.body).toBe('pong');
    // The same connection, not a new one after the service closed the old.
    expect(second.socket).toBe(first.socket);
  } finally {
    agent.destroy();
    await svc.stop();
  }
}, 20_000);
