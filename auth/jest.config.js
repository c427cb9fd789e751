module.exports = require('../jest.preset')({ name: 'auth', dir: __dirname });
