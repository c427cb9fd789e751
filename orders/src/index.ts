import { createLogger, main, runtimeOptions, runService } from '@ticketing/common';
import { buildApp } from './app';
import { loadServiceConfig, SERVICE_NAME } from './config';
import { Order } from './models/order';
import { backfillUserOrders } from './models/user-orders';
import { TicketCreatedListener } from './events/listeners/ticket-created-listener';
import { TicketUpdatedListener } from './events/listeners/ticket-updated-listener';
import { ExpirationCompleteListener } from './events/listeners/expiration-complete-listener';
import { PaymentCreatedListener } from './events/listeners/payment-created-listener';
import { PaymentStartedListener } from './events/listeners/payment-started-listener';
import { PaymentFailedListener } from './events/listeners/payment-failed-listener';
import { PaymentRefundedListener } from './events/listeners/payment-refunded-listener';
import { HoldSweeper } from './hold-sweeper';
import { watchBus, watchPaymentEvents } from './bus-settled';

main(SERVICE_NAME, async () => {
  const config = loadServiceConfig();
  const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  const sweeper = new HoldSweeper(logger, { intervalMs: config.HOLD_SWEEP_INTERVAL_SECONDS * 1000 });
  return runService({
    name: SERVICE_NAME,
    logger,
    ...runtimeOptions(config),
    app: ({ isReady }) =>
      buildApp({
        logger,
        jwtKey: config.JWT_KEY,
        cookieSecure: config.COOKIE_SECURE,
        orderExpirationSeconds: config.ORDER_EXPIRATION_SECONDS,
        isReady,
      }),
    listeners: ({ bus }) => {
      watchBus(bus);
      const payments = [
        new PaymentCreatedListener(bus, logger),
        new PaymentStartedListener(bus, logger),
        new PaymentFailedListener(bus, logger),
        new PaymentRefundedListener(bus, logger),
      ];
      // A hold is not ended while one of these holds an unapplied event for its order.
      watchPaymentEvents(payments);
      return [new TicketCreatedListener(bus, logger), new TicketUpdatedListener(bus, logger), new ExpirationCompleteListener(bus, logger), ...payments];
    },
    outboxModels: [Order],
    // After the listeners and the relay (its cancels are published), stopped before them.
    onStart: async () => {
      // Before HTTP listens: the list reads only the user-order index (see models/user-orders.ts).
      await backfillUserOrders(logger);
      sweeper.start();
    },
    onStop: () => sweeper.stop(),
  });
});
