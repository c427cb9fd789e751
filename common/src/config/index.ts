export * from './config';
/**
 * The zod that common's schemas are built with. Services declare their variables with this
 * one (they do not depend on zod themselves), so their schemas are of the same zod as
 * `loadConfig`'s.
 */
export { z } from 'zod';
