import { createApp, Logger } from '@ticketing/common';

/** What the expiration app is built from: index.ts passes the logger and readiness, tests their doubles. */
export interface AppOptions {
  logger: Logger;
  isReady?: () => boolean;
}

/** Health routes only: expiration has no HTTP API and no users, hence no session. */
export const buildApp = (options: AppOptions) => createApp({ ...options, routers: [] });
