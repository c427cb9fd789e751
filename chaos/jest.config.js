module.exports = require('../jest.preset')({ name: 'chaos', dir: __dirname });
