export * from './event-bus';
export * from './nats-bus';
export * from './publisher';
export * from './listener';
