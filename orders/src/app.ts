import { ErrorRequestHandler, Router } from 'express';
import { createApp, Logger, NotFoundError } from '@ticketing/common';
import { openapiRouter } from './openapi';
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

// Workaround until common's errorHandler knows it: express fails a path parameter with a
// broken percent-encoding (/api/orders/%E0%A4%A) with a URIError that errorHandler turns
// into a 500. Such an id names nothing, so it gets the 404 of any malformed id.
const undecodableParam: ErrorRequestHandler = (err, _req, _res, next) => {
  next(err instanceof URIError ? new NotFoundError() : err);
};

export const buildApp = ({ orderExpirationSeconds, ...o }: OrdersAppOptions) =>
  createApp({
    ...o,
    // One router around the routes: an error handler is only reached from inside a router,
    // and createApp mounts routers, not handlers.
    routers: [
      Router().use(
        openapiRouter,
        createOrderRouter({ expirationSeconds: orderExpirationSeconds, logger: o.logger }),
        indexOrderRouter,
        showOrderRouter,
        deleteOrderRouter,
        undecodableParam,
      ),
    ],
  });
