import { createApp, Logger } from '@ticketing/common';
import { openapiRouter } from './openapi';
import { createChargeRouter } from './routes/new';
import type { PaymentProcessor } from './payment-processor';

export interface AppDeps {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  /** Shared with the order:cancelled listener and the reconciler: it knows what is in flight. */
  processor: PaymentProcessor;
  isReady?: () => boolean;
}

export const buildApp = ({ processor, ...opts }: AppDeps) =>
  createApp({ ...opts, routers: [openapiRouter, createChargeRouter({ processor })] });
