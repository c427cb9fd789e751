module.exports = require('../jest.preset')({ name: 'integration', dir: __dirname, testTimeout: 120_000 });
