import { createApp, Logger } from '@ticketing/common';
import { openapiRouter } from './openapi';
import { createTicketRouter } from './routes/new';
import { indexTicketRouter } from './routes/index';
import { showTicketRouter } from './routes/show';
import { updateTicketRouter } from './routes/update';

export interface AppDeps {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  isReady?: () => boolean;
}

export const buildApp = (deps: AppDeps) =>
  createApp({ ...deps, routers: [openapiRouter, createTicketRouter, indexTicketRouter, showTicketRouter, updateTicketRouter] });
