import { setEventSource } from '@ticketing/common';

// The backing servers of the test run (scripts/test.sh exports them; these are its defaults).
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
process.env.NATS_URL ??= 'nats://127.0.0.1:4223';
process.env.NATS_CLUSTER_ID ??= 'ticketing';

// As runService does in production: events built in this process carry source 'expiration'.
setEventSource('expiration');
