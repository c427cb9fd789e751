import { recordContractExchanges, testJwtKey, useTestDatabase } from '@ticketing/common/testing';
import { setEventSource } from '@ticketing/common';

process.env.JWT_KEY = testJwtKey();
// The stripe-mock of scripts/servers.sh; a run against another one sets STRIPE_API_BASE.
process.env.STRIPE_API_BASE ??= 'http://127.0.0.1:12111';

useTestDatabase();

// CONTRACT_RECORD=<dir>: every supertest exchange is recorded for the OpenAPI contract test.
recordContractExchanges('payments');

// As runService does in production: events built in this process carry source 'payments'.
setEventSource('payments');
