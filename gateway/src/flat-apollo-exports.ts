import { createRequire } from 'node:module';

/*
 * @apollo/federation-internals is CommonJS compiled by TypeScript: its index re-exports each of
 * its 300 names through a getter (`__createBinding`: `get() { return m[k]; }`), one closure shape
 * for every name, so a call like `federation_internals_1.isCompositeType(...)` — which
 * @apollo/gateway's result shaping makes for every field of every response — is a megamorphic
 * keyed load behind a call V8 does not inline. Those getters were 3.8 % of the gateway's CPU on
 * the deep private read (bench CPU profile, self time of `get` in federation-internals'
 * dist/index.js, called from resultShaping.js).
 *
 * Imported first by the entry point (gateway/src/index.ts), before anything loads @apollo/gateway:
 * it loads the package once and puts in its place in the require cache an object holding the
 * same values as plain properties. Every export is assigned once, at the top level of the module
 * that defines it (no export is reassigned later, which a copy would miss), so every later
 * `require` sees exactly what the getters would return (flat-apollo-exports.test.ts). A module
 * that loaded the package before this ran keeps the original object: slower, never different.
 */
const requireFromGateway = createRequire(createRequire(import.meta.url).resolve('@apollo/gateway'));
const path = requireFromGateway.resolve('@apollo/federation-internals');
const live = requireFromGateway(path) as Record<string, unknown>;
const cached = requireFromGateway.cache[path];
if (cached?.exports === live) {
  const flat: Record<string, unknown> = { __esModule: true };
  for (const name of Object.keys(live)) flat[name] = live[name];
  cached.exports = flat;
}
