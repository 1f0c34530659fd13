import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const gatewayDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `script` in a fresh Node process (its own require cache), from the gateway's folder; returns what it printed as JSON. */
function inFreshProcess(script: string): unknown {
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: gatewayDir, encoding: 'utf8' });
  return JSON.parse(output);
}

describe('flat-apollo-exports', () => {
  it('hands @apollo/gateway the same values as plain properties, before and after it plans a query', () => {
    const result = inFreshProcess(`
      import { createRequire } from 'node:module';
      const gatewayRequire = createRequire(createRequire(process.cwd() + '/package.json').resolve('@apollo/gateway'));
      // The package as it was before: its re-exports are getters that read the defining modules.
      const live = gatewayRequire('@apollo/federation-internals');
      await import('./src/flat-apollo-exports.ts');
      const flat = gatewayRequire('@apollo/federation-internals');
      const differing = () => Object.keys(live).filter((name) => flat[name] !== live[name]);
      const before = differing();
      // Plan an operation, as the gateway does for every new one.
      const { Supergraph, operationFromDocument } = flat;
      const { QueryPlanner } = gatewayRequire('@apollo/query-planner');
      const { readFileSync } = await import('node:fs');
      const { parse } = await import('graphql');
      const supergraph = Supergraph.build(readFileSync('../schema/supergraph.graphql', 'utf8'));
      const operation = operationFromDocument(supergraph.schema, parse('{ products(first: 2) { edges { node { id name } } } }'));
      new QueryPlanner(supergraph).buildQueryPlan(operation);
      console.log(JSON.stringify({
        replaced: flat !== live,
        getters: Object.values(Object.getOwnPropertyDescriptors(flat)).filter((d) => d.get).length,
        names: Object.keys(flat).length,
        esModule: flat.__esModule,
        before,
        after: differing(),
      }));
    `);
    expect(result).toMatchObject({ replaced: true, getters: 0, esModule: true, before: [], after: [] });
    expect((result as { names: number }).names).toBeGreaterThan(100);
  });
});
