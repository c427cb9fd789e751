import { createLogger, main, runtimeOptions, runService } from '@ticketing/common';
import { loadServiceConfig, SERVICE_NAME } from './config';
import { buildApp } from './app';
import { createStripeClient, STRIPE_CALL_DEADLINE_MS } from './stripe';
import { Payment } from './models/payment';
import { PaymentProcessor } from './payment-processor';
import { Reconciler } from './reconciler';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { OrderCancelledListener } from './events/listeners/order-cancelled-listener';

main(SERVICE_NAME, async () => {
  const config = loadServiceConfig();
  const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE || undefined);
  // One processor for the route, the listener and the reconciler: it knows which charges
  // this process has in flight.
  // Charges only once payment:started is on the bus (at most 3 s of waiting).
  const processor = new PaymentProcessor(stripe, logger, undefined, 3_000);
  const reconciler = new Reconciler(processor, logger);
  return runService({
    name: SERVICE_NAME,
    logger,
    ...runtimeOptions(config),
    app: ({ isReady }) =>
      buildApp({ logger, jwtKey: config.JWT_KEY, cookieSecure: config.COOKIE_SECURE, processor, isReady }),
    listeners: ({ bus }) => [new OrderCreatedListener(bus, logger), new OrderCancelledListener(bus, logger, processor)],
    outboxModels: [Payment],
    // With the listeners: settles what a crashed or cut-off request left pending.
    onStart: async () => {
      reconciler.start();
    },
    onStop: () => reconciler.stop(),
    // A charge in flight at SIGTERM gets its Stripe call's deadline to finish (the pod's
    // grace period is 35 s); one cut off anyway stays pending for the reconciler.
    shutdownTimeoutMs: STRIPE_CALL_DEADLINE_MS + 1_000,
  });
});
