export * from './job-ids.js';
export * from './job-options.js';
export * from './outbox.js';
export * from './payloads.js';
export * from './producer.js';
export * from './queue-names.js';
export * from './redis.js';
export * from './relay.js';
