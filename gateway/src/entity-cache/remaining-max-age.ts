/**
 * The max-age an answer taken from the entity cache gives the operation's cache policy: what is
 * left of the entry's freshness, in whole seconds, rounded up. Rounded down, an entry's last
 * second would read max-age 0: the response cache would keep nothing and learn the operation as
 * uncacheable (gateway/src/response-cache/uncacheable-operations.ts), so that later requests
 * skip its lookups until an execution is cacheable again. A response outliving its parts by under
 * a second is harmless: purges of the entity tags both share, not ages, keep reads exact.
 */
export const remainingMaxAgeS = (freshUntil: number, now: number): number => Math.max(0, Math.ceil((freshUntil - now) / 1000));
