export * from './database.js';
export * from './graphql-client.js';
export * from './redis.js';
export * from './ports.js';
export * from './redis-topologies.js';
export * from './handshakes.js';
export * from './holding-proxy.js';
export * from './query-plans.js';
