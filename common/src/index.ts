export * from './errors';
export * from './http';
export * from './events';
export * from './bus';
export * from './outbox';
export * from './config';
export * from './service';
export * from './logger';
