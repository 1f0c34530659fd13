import type { CodegenConfig } from '../../schema/codegen.js';

// `npm run codegen`: resolver types from schema.graphql; parents are the drizzle rows
// the services return (mappers), and the other subgraphs' entities are references by id.
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
        mappers: {
          Order: '../db/schema.js#OrderRow',
          OrderItem: '../db/schema.js#OrderItemRow',
          // The order services count the total only when totalCount is asked for.
          OrderConnection: "Awaited<ReturnType<typeof import('../services/order-service.js').listOrders>>",
          User: '{ id: string }',
          Product: '{ id: string }',
        },
      },
    },
  },
} satisfies CodegenConfig;
