import { createApp, Logger } from '@ticketing/common';
import { createChargeRouter } from './routes/new';
import type { StripeClient } from './stripe';

export interface AppDeps {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  stripe: StripeClient;
  isReady?: () => boolean;
}

export const buildApp = ({ stripe, ...opts }: AppDeps) =>
  createApp({ ...opts, routers: [createChargeRouter({ stripe, logger: opts.logger })] });
