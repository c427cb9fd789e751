import { createApp, Logger } from '@ticketing/common';
import { createOpenapiRouter } from './openapi';
import { createNewPaymentRouter } from './routes/new';
import type { PaymentProcessor } from './payment-processor';

/** What the payments app is built from: index.ts passes the config, tests their doubles. */
export interface AppOptions {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  /** Shared with the order:cancelled listener and the reconciler: it knows what is in flight. */
  processor: PaymentProcessor;
  isReady?: () => boolean;
}

export const buildApp = ({ processor, ...options }: AppOptions) =>
  createApp({ ...options, routers: [createOpenapiRouter(), createNewPaymentRouter({ processor })] });
