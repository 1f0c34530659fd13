import { fileURLToPath } from 'node:url';

/** A subgraph that takes part in composition: where its SDL lives and where the gateway finds it by default. */
export interface SubgraphSource {
  name: string;
  /** The URL written into the supergraph; the gateway can override it per subgraph by env. */
  url: string;
  schemaPath: string;
}

const sdlOf = (name: string) => fileURLToPath(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url));

/** Every subgraph of the platform, in one place: composition, its test and nothing else read this list. */
export const subgraphs: readonly SubgraphSource[] = [
  { name: 'products', url: 'http://localhost:4001/graphql', schemaPath: sdlOf('products') },
  { name: 'users', url: 'http://localhost:4002/graphql', schemaPath: sdlOf('users') },
  { name: 'orders', url: 'http://localhost:4003/graphql', schemaPath: sdlOf('orders') },
  { name: 'payments', url: 'http://localhost:4004/graphql', schemaPath: sdlOf('payments') },
];

/** The committed composition output the gateway serves by default. */
export const supergraphPath = fileURLToPath(new URL('./supergraph.graphql', import.meta.url));

/** The public graph clients rely on (the outside contract), kept with the repository. */
export const contractPath = fileURLToPath(new URL('./contract.graphql', import.meta.url));
