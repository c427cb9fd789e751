import { createApp, Logger } from '@ticketing/common';
import { createOpenapiRouter } from './openapi';
import { createNewTicketRouter } from './routes/new';
import { createIndexTicketRouter } from './routes/index';
import { createShowTicketRouter } from './routes/show';
import { createUpdateTicketRouter } from './routes/update';

/** What the tickets app is built from: index.ts passes the config, tests their doubles. */
export interface AppOptions {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  isReady?: () => boolean;
}

export const buildApp = (options: AppOptions) =>
  createApp({
    ...options,
    // The OpenAPI document before /api/tickets/:id, which would 404 it.
    routers: [createOpenapiRouter(), createNewTicketRouter(), createIndexTicketRouter(), createShowTicketRouter(), createUpdateTicketRouter()],
  });
