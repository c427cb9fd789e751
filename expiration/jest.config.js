module.exports = require('../jest.preset')({ name: 'expiration', dir: __dirname });
