export * from './apply-next-version';
