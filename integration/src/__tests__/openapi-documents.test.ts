import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { openapi as authApi } from '../../../auth/src/openapi';
import { openapi as ticketsApi } from '../../../tickets/src/openapi';
import { openapi as ordersApi } from '../../../orders/src/openapi';
import { openapi as paymentsApi } from '../../../payments/src/openapi';

// Each service's OpenAPI document is checked by @seriousme/openapi-schema-validator against
// the official OpenAPI 3.1 schema. The validator is ESM-only, which jest's CommonJS runtime
// cannot load, so it runs in a plain node process that reads the document on stdin.
const VALIDATE = `
import { Validator } from '@seriousme/openapi-schema-validator';
let text = '';
for await (const chunk of process.stdin) text += chunk;
const validator = new Validator();
const res = await validator.validate(JSON.parse(text));
console.log(JSON.stringify({ valid: res.valid, version: validator.version, errors: res.errors ?? null }));
`;

async function validate(doc: unknown): Promise<{ valid: boolean; version: string; errors: unknown }> {
  const run = promisify(execFile);
  const child = run(process.execPath, ['--input-type=module', '-e', VALIDATE], { cwd: path.resolve(__dirname, '../../..') });
  child.child.stdin!.end(JSON.stringify(doc));
  const { stdout } = await child;
  return JSON.parse(stdout);
}

it.each([
  ['auth', authApi],
  ['tickets', ticketsApi],
  ['orders', ordersApi],
  ['payments', paymentsApi],
])('when the %s document is checked against the OpenAPI 3.1 schema, then it is valid', async (_name, doc) => {
  expect(await validate(doc)).toEqual({ valid: true, version: '3.1', errors: null });
});

it('when a document breaks the OpenAPI 3.1 schema, then the validator refuses it', async () => {
  const broken = { ...ticketsApi, info: { title: 'no version' }, paths: { 'api/tickets': {} } };
  const res = await validate(broken);
  expect(res.valid).toBe(false);
  expect(JSON.stringify(res.errors)).toMatch(/version|api\/tickets/);
});
