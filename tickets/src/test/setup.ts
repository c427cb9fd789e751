import { testJwtKey, useTestDatabase } from '@ticketing/common/testing';

process.env.JWT_KEY = testJwtKey();
useTestDatabase();
