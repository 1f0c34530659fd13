import type { CodegenConfig } from '../schema/codegen.js';

// `npm run codegen`: typed documents (the client preset) for the operations in
// src/operations.graphql, against the API schema clients see through the gateway.
export default {
  schema: { supergraph: '../schema/supergraph.graphql' },
  documents: ['src/operations.graphql'],
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumType: 'string-literal',
        scalars: { DateTime: 'string' },
      },
    },
  },
} satisfies CodegenConfig;
