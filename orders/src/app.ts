import { createApp, Logger } from '@ticketing/common';
import { createOpenapiRouter } from './openapi';
import { createNewOrderRouter } from './routes/new';
import { createIndexOrderRouter } from './routes/index';
import { createShowOrderRouter } from './routes/show';
import { createDeleteOrderRouter } from './routes/delete';

/** What the orders app is built from: index.ts passes the config, tests their doubles. */
export interface AppOptions {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  orderExpirationSeconds: number;
  isReady?: () => boolean;
}

export const buildApp = ({ orderExpirationSeconds, ...options }: AppOptions) =>
  createApp({
    ...options,
    // The OpenAPI document before /api/orders/:id, which would 404 it.
    routers: [
      createOpenapiRouter(),
      createNewOrderRouter({ expirationSeconds: orderExpirationSeconds, logger: options.logger }),
      createIndexOrderRouter(),
      createShowOrderRouter(),
      createDeleteOrderRouter(),
    ],
  });
