import { recordContractExchanges, testJwtKey, useTestDatabase } from '@ticketing/common/testing';

process.env.JWT_KEY = testJwtKey();

useTestDatabase();

// CONTRACT_RECORD=<dir>: every supertest exchange is recorded for the OpenAPI contract test.
recordContractExchanges('auth');
