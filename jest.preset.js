// Shared jest settings of every workspace: ts-jest on the sources, tests beside the code
// in __tests__ folders, a per-package setup file when present.
const fs = require('node:fs');
const path = require('node:path');

module.exports = function preset({ name, dir = process.cwd() }) {
  const setup = path.join(dir, 'src/test/setup.ts');
  return {
    displayName: name,
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/__tests__/**/*.test.ts'],
    transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: path.join(dir, 'tsconfig.json') }] },
    setupFilesAfterEnv: [path.join(__dirname, 'jest.setup-timeout.js'), ...(fs.existsSync(setup) ? [setup] : [])],
  };
};
