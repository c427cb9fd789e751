import { createLogger, main, runtimeOptions, runService } from '@ticketing/common';
import { buildApp } from './app';
import { loadServiceConfig, SERVICE_NAME } from './config';
import { OrderCancelledListener } from './events/listeners/order-cancelled-listener';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { TicketCreatedFollower, TicketUpdatedFollower } from './events/listeners/ticket-list-follower';
import { listedTickets } from './models/listed-tickets';
import { Ticket } from './models/ticket';

main(SERVICE_NAME, async () => {
  const config = loadServiceConfig();
  const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  let listRefresh: { stop(): Promise<void> } | undefined;
  return runService({
    name: SERVICE_NAME,
    logger,
    ...runtimeOptions(config),
    app: ({ isReady }) => buildApp({ logger, jwtKey: config.JWT_KEY, cookieSecure: config.COOKIE_SECURE, isReady }),
    listeners: ({ bus }) => {
      // What another replica wrote while this one was away from the bus is read back once.
      bus.onReconnect(() => void listedTickets.refresh().catch((err) => logger.warn({ err }, 'ticket list refresh after reconnect failed')));
      return [
        new OrderCreatedListener(bus, logger),
        new OrderCancelledListener(bus, logger),
        new TicketCreatedFollower(bus, logger),
        new TicketUpdatedFollower(bus, logger),
      ];
    },
    outboxModels: [Ticket],
    // The list is served from memory: loaded before HTTP listens, so no request sees it empty.
    onStart: async () => {
      const startedAt = Date.now();
      const listed = await listedTickets.load();
      logger.info({ listed, ms: Date.now() - startedAt }, 'ticket list loaded');
      listRefresh = listedTickets.keepFresh(config.TICKET_LIST_REFRESH_MS, logger);
    },
    onStop: async () => listRefresh?.stop(),
  });
});
