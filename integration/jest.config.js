module.exports = require('../jest.preset')({ name: 'integration', dir: __dirname });
