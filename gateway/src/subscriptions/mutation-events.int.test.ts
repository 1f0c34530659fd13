import { randomBytes } from 'node:crypto';
import type { GraphQLRequestContextWillSendResponse, GraphQLRequestListener } from '@apollo/server';
import { createCacheConnection, entityEventsChannel } from '@shopgraph/cache';
import { createLogger } from '@shopgraph/common';
import { deferred, removeKeysWithPrefix, testRedisUrl, waitFor } from '@shopgraph/testing';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { mutationEventsPlugin, shopgraphMutationEvents } from './mutation-events.js';

const prefix = `sgtest:mutation-events:${randomBytes(4).toString('hex')}:`;
const redis = createCacheConnection(testRedisUrl, 'writes');
const subscriber = new Redis(testRedisUrl);

afterAll(async () => {
  subscriber.disconnect();
  redis.disconnect();
  await removeKeysWithPrefix(testRedisUrl, prefix);
});

const schema = buildSchema('type Query { ok: Boolean } type Payment { id: ID! } type Mutation { payOrder(orderId: ID!): Payment }');
const operation = parse('mutation Pay($orderId: ID!) { payOrder(orderId: $orderId) { id } }').definitions[0] as OperationDefinitionNode;

/** What Apollo hands `willSendResponse` after payOrder answered for `orderId`. */
const payOrderAnswered = (orderId: string) =>
  ({
    operation,
    schema,
    request: { variables: { orderId } },
    response: { body: { kind: 'single', singleResult: { data: { payOrder: { id: 'payment-1' } } } }, http: { headers: new Map() } },
  }) as unknown as GraphQLRequestContextWillSendResponse<GatewayContext>;

describe("a mutation's entity events", () => {
  it('go out only once the caches have purged what the mutation changed', async () => {
    const heard: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => void heard.push(message.split(' ').slice(0, 2).join(' ')));
    await subscriber.subscribe(entityEventsChannel(prefix));
    const purgeCalled = deferred();
    const purgeDone = deferred();
    const plugin = mutationEventsPlugin(
      redis,
      prefix,
      shopgraphMutationEvents,
      (requestContext) => {
        expect(requestContext.request.variables).toEqual({ orderId: 'o-1' });
        purgeCalled.resolve();
        return purgeDone.promise;
      },
      createLogger('mutation-events-test', 'silent'),
    );
    const listener = (await plugin.requestDidStart!({} as never)) as GraphQLRequestListener<GatewayContext>;
    const sending = listener.willSendResponse!(payOrderAnswered('o-1'));

    await purgeCalled.promise;
    // On the plugin's own connection: had it published before the purge was done, its event would come first.
    await redis.publish(entityEventsChannel(prefix), 'Fence f-1 1 1');
    await waitFor(() => heard.length > 0, { what: 'the fence' });
    expect(heard).toEqual(['Fence f-1']);

    purgeDone.resolve();
    await sending;
    await waitFor(() => heard.length > 1, { what: "the order's event" });
    expect(heard).toEqual(['Fence f-1', 'Order o-1']);
  });
});
