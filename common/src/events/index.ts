export * from './subjects';
export * from './types';
export * from './schemas';
export * from './envelope';
