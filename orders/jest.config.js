module.exports = require('../jest.preset')({ name: 'orders', dir: __dirname });
