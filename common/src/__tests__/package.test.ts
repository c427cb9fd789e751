import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The package as published: `npm pack` of common, installed into a project outside the
// monorepo, must load and type-check from its own dist (both entry points), and carry
// no tests or sources.
jest.setTimeout(180_000);

const commonDir = path.resolve(__dirname, '../..');
const tsc = require.resolve('typescript/bin/tsc');
let work: string;
let tarball: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'common-pack-'));
  // --ignore-scripts: prepack would rebuild dist under the feet of the suites running beside
  // this one; the test command has just built it.
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: commonDir,
    encoding: 'utf8',
  });
  tarball = path.join(work, JSON.parse(out)[0].filename);
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('when packed, then it holds the built entry points with types, and no tests or sources', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
  expect(files).toEqual(
    expect.arrayContaining([
      'package/package.json',
      'package/README.md',
      'package/CHANGELOG.md',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/testing/index.js',
      'package/dist/testing/index.d.ts',
    ]),
  );
  expect(files.filter((f) => /__tests__|\.test\.|^package\/src\//.test(f))).toEqual([]);
});

it('when installed in a project outside the monorepo, then both entries load and type-check', () => {
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'outside', private: true }));
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball, 'express@5.3.0', 'mongoose@8.24.10', '@types/node@20.19.43'],
    { cwd: app, stdio: 'pipe' },
  );
  const loaded = execFileSync(
    'node',
    ['-e', "const c=require('@ticketing/common');const t=require('@ticketing/common/testing');console.log(typeof c.createApp, typeof c.Listener, typeof t.InMemoryBus, c.Subjects.OrderCreated)"],
    { cwd: app, encoding: 'utf8' },
  );
  expect(loaded.trim()).toBe('function function function order:created');

  fs.writeFileSync(
    path.join(app, 'use.ts'),
    [
      "import { Listener, OrderCreatedEvent, QueueGroups, Subjects, createApp } from '@ticketing/common';",
      "import { InMemoryBus, captureLogger } from '@ticketing/common/testing';",
      'class L extends Listener<OrderCreatedEvent> {',
      '  readonly subject = Subjects.OrderCreated;',
      '  readonly queueGroupName: string = QueueGroups.Payments;',
      "  async onMessage(data: OrderCreatedEvent['data']) { void data.ticket.price; }",
      '}',
      'const { logger } = captureLogger();',
      'new L(new InMemoryBus(), logger);',
      "createApp({ logger, jwtKey: 'k', routers: [] }).use((req) => { req.session = null; });",
    ].join('\n'),
  );
  execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--esModuleInterop', '--skipLibCheck', '--types', 'node', 'use.ts'], {
    cwd: app,
    stdio: 'pipe',
  });
});
