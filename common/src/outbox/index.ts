export * from './outbox-entry';
export * from './outbox-plugin';
export * from './outbox-relay';
export * from './insert-document';
export * from './driver-ops';
