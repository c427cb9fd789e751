export * from './custom-error';
export * from './http-errors';
export * from './mongo-errors';
export * from './transient';
