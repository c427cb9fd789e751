module.exports = require('../jest.preset')({ name: 'tickets', dir: __dirname });
