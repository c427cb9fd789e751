import { createApp, Logger } from '@ticketing/common';

/** Health routes only: expiration has no HTTP API and no users, hence no session. */
export const buildApp = (o: { logger: Logger; isReady?: () => boolean }) => createApp({ ...o, routers: [] });
