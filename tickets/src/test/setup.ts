import { recordContractExchanges, testJwtKey, useTestDatabase } from '@ticketing/common/testing';
import { listedTickets } from '../models/listed-tickets';
import { setEventSource } from '@ticketing/common';

process.env.JWT_KEY = testJwtKey();
useTestDatabase();
// The database is emptied before each test; so is the list read model of this process.
beforeEach(() => listedTickets.clear());

// CONTRACT_RECORD=<dir>: every supertest exchange is recorded for the OpenAPI contract test.
recordContractExchanges('tickets');

// As runService does in production: events built in this process carry source 'tickets'.
setEventSource('tickets');
