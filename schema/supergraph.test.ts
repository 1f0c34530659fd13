import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchemaOf, composeSubgraphs } from './composition.js';
import { contractGaps } from './contract.js';
import { contractPath, supergraphPath } from './subgraphs.js';

const composed = composeSubgraphs();
const contract = parse(readFileSync(contractPath, 'utf8'));

describe('the supergraph', () => {
  it('composes from the subgraphs', () => {
    expect(composed.ok ? [] : composed.errors, 'composition errors').toEqual([]);
  });

  it('is committed as composed (run `npm run compose` after changing a subgraph schema)', () => {
    if (!composed.ok) throw new Error('composition failed, see the test above');
    const committed = readFileSync(supergraphPath, 'utf8');
    expect(committed === composed.supergraphSdl, 'schema/supergraph.graphql is stale: run `npm run compose`').toBe(true);
  });

  it('keeps every type, field and argument of the contract', () => {
    if (!composed.ok) throw new Error('composition failed, see the test above');
    expect(contractGaps(contract, apiSchemaOf(composed.supergraphSdl))).toEqual([]);
  });
});

describe('composition', () => {
  it('reports subgraphs that do not compose, and files that are missing', () => {
    const directory = mkdtempSync(join(tmpdir(), 'shopgraph-compose-'));
    try {
      const sdl = (type: string) => `type Query { a: A } type A { id: ${type} }`;
      writeFileSync(join(directory, 'one.graphql'), sdl('ID!'));
      writeFileSync(join(directory, 'two.graphql'), sdl('Int!'));
      const source = (name: string) => ({ name, url: `http://${name}/graphql`, schemaPath: join(directory, `${name}.graphql`) });

      const conflicting = composeSubgraphs([source('one'), source('two')]);
      expect(conflicting.ok).toBe(false);
      expect(conflicting.ok ? [] : conflicting.errors.join('\n')).toMatch(/one.*two|two.*one/);

      const missing = composeSubgraphs([source('one'), source('three')]);
      expect(missing).toEqual({ ok: false, errors: [expect.stringMatching(/three\.graphql does not exist$/)] });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('the contract check', () => {
  it('names what a schema drops or changes', () => {
    const broken = buildSchema(`
      type Query { products(first: Int = 10, search: String, tenant: ID!): [Int] }
      type Money { amount: Float! }
      enum Role { CUSTOMER }
      input MoneyInput { amount: Int!, currency: String!, rate: Float! }
    `);
    const gaps = contractGaps(contract, broken);
    expect(gaps).toEqual(
      expect.arrayContaining([
        'Query.product is missing',
        'Query.products is [Int], the contract says ProductConnection!',
        'Query.products(first:) defaults to 10, the contract says 20',
        'Query.products(after:) is missing',
        'Query.products(tenant:) is required but not in the contract',
        'Money.amount is Float!, the contract says Int!',
        'Money.currency is missing',
        'Role.ADMIN is missing',
        'MoneyInput.rate is required but not in the contract',
        'object type Product is missing',
        'scalar DateTime is missing',
      ]),
    );
  });
});
