// The browser tests: Debian's Chromium driven by playwright-core against a running stack
// (E2E_BASE_URL). Started by e2e/run.js, which brings the stack up and down.
const path = require('node:path');

const client = path.resolve(__dirname, '..');

module.exports = {
  displayName: 'e2e',
  rootDir: client,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: path.join(client, 'tsconfig.jest.json') }] },
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/src/$1' },
  testTimeout: 120_000,
  // A browser per file; files run in parallel workers.
  maxWorkers: 3,
};
