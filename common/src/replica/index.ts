export * from './apply-next-version';
export * from './compare-and-set';
export * from './create-replica';
export * from './replica-arrivals';
