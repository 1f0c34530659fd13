import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { publishEntityEvents } from '@shopgraph/cache';
import type { Logger, RedisClient } from '@shopgraph/common';
import { getArgumentValues, Kind } from 'graphql';
import type { GatewayContext } from '../context.js';

/** The entities a mutation changed, by mutation field, from its arguments: what subscriptions are told of. */
export type MutationEventRules = Readonly<Record<string, (args: Record<string, unknown>) => { typename: string; id: string }[]>>;

/**
 * This graph's rules. `placeOrder` has none: nobody can watch an order before it exists, and a
 * subscription's first push is the order as it is. The workers announce what their jobs change.
 */
export const shopgraphMutationEvents: MutationEventRules = {
  updateProduct: ({ id }) => [{ typename: 'Product', id: String(id) }],
  restockProduct: ({ id }) => [{ typename: 'Product', id: String(id) }],
  deleteProduct: ({ id }) => [{ typename: 'Product', id: String(id) }],
  updateOrderItem: ({ orderId }) => [{ typename: 'Order', id: String(orderId) }],
  cancelOrder: ({ id }) => [{ typename: 'Order', id: String(id) }],
  payOrder: ({ orderId }) => [{ typename: 'Order', id: String(orderId) }],
};

/** Resolves once the caches have purged what the mutation of a request changed (`Purges.afterMutation`). */
export type MutationPurged = (requestContext: GraphQLRequestContextWillSendResponse<GatewayContext>) => Promise<void>;

/**
 * Publishes the entity events of each mutation field that returned a result (its change is
 * committed), before the response is sent, and after `purged`: a subscriber re-reads the entity
 * past its first level, from what Redis holds, which must no longer hold the old value (Apollo
 * runs the plugins' `willSendResponse` at once, so the order is awaited here, not assumed). A
 * failed publish is logged: the mutation is done.
 */
export function mutationEventsPlugin(
  redis: RedisClient,
  keyPrefix: string,
  rules: MutationEventRules,
  purged: MutationPurged,
  logger: Logger,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(requestContext) {
          const { operation, response, schema, request } = requestContext;
          if (operation?.operation !== 'mutation' || response.body.kind !== 'single') return;
          const data = response.body.singleResult.data;
          const mutationType = schema.getMutationType();
          if (!data || !mutationType) return;
          const entities = operation.selectionSet.selections.flatMap((selection) => {
            if (selection.kind !== Kind.FIELD) return [];
            const rule = Object.hasOwn(rules, selection.name.value) ? rules[selection.name.value] : undefined;
            const field = mutationType.getFields()[selection.name.value];
            const result = data[selection.alias?.value ?? selection.name.value];
            if (!rule || !field || result === null || result === undefined) return [];
            return rule(getArgumentValues(field, selection, request.variables ?? {}));
          });
          if (entities.length === 0) return;
          await purged(requestContext);
          await publishEntityEvents(redis, keyPrefix, entities).catch((error: unknown) =>
            logger.error({ err: error, entities }, 'subscriptions: entity events of a mutation not published; subscribers catch up later'),
          );
        },
      };
    },
  };
}
