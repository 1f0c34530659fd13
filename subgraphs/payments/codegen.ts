import type { CodegenConfig } from '../../schema/codegen.js';

// `npm run codegen`: resolver types from schema.graphql; parents are the drizzle rows
// the services return (mappers), and orders are references by id.
export default {
  schema: { subgraph: 'schema.graphql' },
  generates: {
    'src/generated/resolvers.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useTypeImports: true,
        enumsAsTypes: true,
        contextType: '../context.js#Context',
        scalars: { DateTime: 'Date' },
        mapperTypeSuffix: 'Row',
        mappers: {
          Payment: '../db/schema.js#Payment',
          Order: '{ id: string }',
        },
      },
    },
  },
} satisfies CodegenConfig;
