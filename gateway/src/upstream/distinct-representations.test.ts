import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { DistinctRepresentationsDataSource } from './distinct-representations.js';

type Options = GraphQLDataSourceProcessOptions<GatewayContext>;
type Representation = { __typename: string; id: string };

/** A subgraph in process: answers each representation with its id and a nested object; errors for ids starting with "bad". */
class RecordingSource implements GraphQLDataSource<GatewayContext> {
  readonly sent: Representation[][] = [];

  async process(options: Options) {
    const representations = options.request.variables!.representations as Representation[];
    this.sent.push(representations);
    const errors = representations.flatMap((rep, i) => (rep.id.startsWith('bad') ? [{ message: `no ${rep.id}`, path: ['_entities', i, 'name'] }] : []));
    return {
      data: { _entities: representations.map((rep) => ({ __typename: rep.__typename, name: `name of ${rep.id}`, price: { amount: rep.id.length } })) },
      ...(errors.length ? { errors } : {}),
    };
  }
}

const fetchOf = (representations: Representation[]) =>
  ({ request: { query: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name price{amount}}}}', variables: { representations } } }) as unknown as Options;

const product = (id: string): Representation => ({ __typename: 'Product', id });

describe('DistinctRepresentationsDataSource', () => {
  it('sends each distinct representation once and answers every position, each with an object of its own', async () => {
    const source = new RecordingSource();
    const asked = ['1', '2', '1', '3', '1', '2'].map(product);
    const response = await new DistinctRepresentationsDataSource(source).process(fetchOf(asked));
    expect(source.sent).toEqual([['1', '2', '3'].map(product)]);
    const entities = response.data!._entities as { name: string; price: object }[];
    expect(entities.map((entity) => entity.name)).toEqual(asked.map((rep) => `name of ${rep.id}`));
    // The query plan merges later fetches into these: no two positions may share an object.
    expect(entities[0]).not.toBe(entities[2]);
    expect(entities[0]!.price).not.toBe(entities[4]!.price);
  });

  it('puts an error back at every position of the representation it is about', async () => {
    const source = new RecordingSource();
    const response = await new DistinctRepresentationsDataSource(source).process(fetchOf(['bad', '1', 'bad'].map(product)));
    expect(source.sent).toEqual([['bad', '1'].map(product)]);
    expect(response.errors).toEqual([
      { message: 'no bad', path: ['_entities', 0, 'name'] },
      { message: 'no bad', path: ['_entities', 2, 'name'] },
    ]);
  });

  it('tells apart representations that carry more than their key by all of it', async () => {
    const source = new RecordingSource();
    const weighed = (id: string, weight: number) => ({ __typename: 'Product', id, weight }) as Representation;
    const asked = [weighed('1', 5), weighed('1', 7), weighed('1', 5), product('1')];
    const response = await new DistinctRepresentationsDataSource(source).process(fetchOf(asked));
    expect(source.sent).toEqual([[weighed('1', 5), weighed('1', 7), product('1')]]);
    expect(response.data!._entities).toHaveLength(4);
  });

  it('passes a fetch without repeats as it is', async () => {
    const source = new RecordingSource();
    const options = fetchOf(['1', '2'].map(product));
    await new DistinctRepresentationsDataSource(source).process(options);
    expect(source.sent[0]).toBe(options.request.variables!.representations);
  });
});
