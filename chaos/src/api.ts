// The stack's test client is the cross-service tests' (integration/src/client.ts).
export type { ApiResponse } from '../../integration/src/client';
export { ApiUser, eventually, sleep } from '../../integration/src/client';
