import { createLogger, main, natsOptions, runService } from '@ticketing/common';
import { loadServiceConfig } from './config';
import { buildApp } from './app';
import { createStripeClient } from './stripe';
import { Payment } from './models/payment';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { OrderCancelledListener } from './events/listeners/order-cancelled-listener';

main('payments', async () => {
  const config = loadServiceConfig();
  const logger = createLogger('payments', config.LOG_LEVEL);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE || undefined);
  return runService({
    name: 'payments',
    logger,
    port: config.PORT,
    mongoUri: config.MONGO_URI,
    nats: natsOptions(config),
    app: ({ isReady }) =>
      buildApp({ logger, jwtKey: config.JWT_KEY, cookieSecure: config.COOKIE_SECURE, stripe, isReady }),
    listeners: ({ bus }) => [new OrderCreatedListener(bus, logger), new OrderCancelledListener(bus, logger)],
    outboxModels: [Payment],
  });
});
