import { createApp, Logger } from '@ticketing/common';
import { createOrderRouter } from './routes/new';
import { indexOrderRouter } from './routes/index';
import { showOrderRouter } from './routes/show';
import { deleteOrderRouter } from './routes/delete';

export interface OrdersAppOptions {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  orderExpirationSeconds: number;
  isReady?: () => boolean;
}

export const buildApp = ({ orderExpirationSeconds, ...o }: OrdersAppOptions) =>
  createApp({
    ...o,
    routers: [
      createOrderRouter({ expirationSeconds: orderExpirationSeconds }),
      indexOrderRouter,
      showOrderRouter,
      deleteOrderRouter,
    ],
  });
