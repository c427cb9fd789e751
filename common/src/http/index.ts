export * from './session';
export * from './current-user';
export * from './validate-request';
export * from './reject-operators';
export * from './error-handler';
export * from './create-app';
export * from './object-id';
export * from './csrf';
