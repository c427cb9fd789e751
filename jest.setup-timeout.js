// Jest 29 reads testTimeout only from the root config, not per project: set it here.
jest.setTimeout(Number(process.env.JEST_TEST_TIMEOUT_MS ?? 30_000));
