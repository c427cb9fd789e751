export * from './test-database';
export * from './session';
export * from './in-memory-bus';
export * from './logger';
export * from './envelope';
export * from './outbox';
export * from './wait';
export * from './contract';
