/** @type {import('jest').Config} */
module.exports = require('../jest.preset')({ name: 'common', dir: __dirname });
