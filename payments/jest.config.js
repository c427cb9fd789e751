module.exports = require('../jest.preset')({ name: 'payments', dir: __dirname });
