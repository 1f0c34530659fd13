import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composeServices } from '@apollo/composition';
import { printSchema, Supergraph } from '@apollo/federation-internals';
import { buildSchema, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { subgraphs, type SubgraphSource } from './subgraphs.js';

export type CompositionOutcome =
  | { ok: true; supergraphSdl: string; hints: string[] }
  | { ok: false; errors: string[] };

const repoRoot = new URL('..', import.meta.url).pathname;
const shortPath = (path: string) => relative(repoRoot, path);

function readSubgraph(source: SubgraphSource): { typeDefs: DocumentNode } | { error: string } {
  if (!existsSync(source.schemaPath)) return { error: `${shortPath(source.schemaPath)} does not exist` };
  try {
    return { typeDefs: parse(readFileSync(source.schemaPath, 'utf8')) };
  } catch (error) {
    return { error: `${shortPath(source.schemaPath)}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Composes the subgraphs' SDL files into a supergraph. Pure apart from reading the files, so the
 * `compose` script and the staleness test run exactly the same composition.
 */
export function composeSubgraphs(sources: readonly SubgraphSource[] = subgraphs): CompositionOutcome {
  const read = sources.map((source) => ({ source, result: readSubgraph(source) }));
  const unreadable = read.flatMap(({ result }) => ('error' in result ? [result.error] : []));
  if (unreadable.length > 0) return { ok: false, errors: unreadable };

  const services = read.map(({ source, result }) => ({
    name: source.name,
    url: source.url,
    typeDefs: (result as { typeDefs: DocumentNode }).typeDefs,
  }));
  const composed = composeServices(services);
  if (composed.errors) {
    return { ok: false, errors: composed.errors.map((error) => error.toString()) };
  }
  return {
    ok: true,
    // One trailing newline, so the committed file is a well-formed text file and diffs stay clean.
    supergraphSdl: `${composed.supergraphSdl.trimEnd()}\n`,
    hints: composed.hints.map((hint) => hint.toString()),
  };
}

/** The schema clients see through the gateway: the supergraph without its federation machinery. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  // Rebuilt from its SDL text so the schema belongs to the caller's copy of graphql: under
  // vitest, federation's CommonJS graphql and our ESM one are different modules.
  return buildSchema(printSchema(Supergraph.build(supergraphSdl).apiSchema()));
}
