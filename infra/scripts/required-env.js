#!/usr/bin/env node
// required-env.js SERVICE: prints, as JSON, the environment variables the service's
// config spec requires (no default) and all those it knows, read from its compiled
// config (<service>/dist/config.js, `configSpec`: one zod schema per variable name) with
// common's own requiredVariables() (required = the schema refuses an unset variable).
// tools/validate checks the Kubernetes Deployments against it, so the list comes from
// the code and never from a copy. Exits 1 with a message when the service is not built.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const service = process.argv[2];
if (!service) {
  console.error('usage: required-env.js SERVICE');
  process.exit(2);
}
const root = path.resolve(__dirname, '..', '..');
const configJs = path.join(root, service, 'dist', 'config.js');
if (!fs.existsSync(configJs)) {
  console.error(
    `required-env.js: ${path.relative(root, configJs)} does not exist: build the service first ` +
      `(npm run build -w common -w ${service}); its config spec is src/config.ts exporting configSpec`,
  );
  process.exit(1);
}
const { configSpec } = require(configJs);
if (!configSpec || typeof configSpec !== 'object') {
  console.error(`required-env.js: ${service}/src/config.ts does not export configSpec`);
  process.exit(1);
}
// The same @ticketing/common the service itself loads.
const common = require(require.resolve('@ticketing/common', { paths: [path.join(root, service)] }));
console.log(JSON.stringify({ required: common.requiredVariables(configSpec), known: Object.keys(configSpec) }));
