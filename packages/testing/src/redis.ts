/** The Redis tests run against; every test uses its own key prefix on it. */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
