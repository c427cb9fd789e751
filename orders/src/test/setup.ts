import { recordContractExchanges, testJwtKey, useTestDatabase } from '@ticketing/common/testing';
import { setEventSource } from '@ticketing/common';

process.env.JWT_KEY = testJwtKey();
useTestDatabase();

// CONTRACT_RECORD=<dir>: every supertest exchange is recorded for the OpenAPI contract test.
recordContractExchanges('orders');

// As runService does in production: events built in this process carry source 'orders'.
setEventSource('orders');
