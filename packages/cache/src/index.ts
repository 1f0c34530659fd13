export * from './eviction.js';
export * from './first-level.js';
export * from './invalidator.js';
export * from './keys.js';
export * from './listener.js';
export * from './store.js';
export * from './entity-events.js';
export * from './cache-connections.js';
