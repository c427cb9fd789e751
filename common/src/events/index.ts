export * from './subjects';
export * from './types';
export * from './schemas';
