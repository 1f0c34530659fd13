import { ApolloServer } from '@apollo/server';
import { afterAll, describe, expect, it } from 'vitest';
import { holdsNulCharacter, refuseNulCharacters } from './text-input.js';

describe('holdsNulCharacter', () => {
  it('finds a NUL in a string, a key or an item at any depth', () => {
    expect(holdsNulCharacter({ input: { name: 'ok', tags: ['a', 'b\u0000'] } })).toBe(true);
    expect(holdsNulCharacter({ 'ke\u0000y': 1 })).toBe(true);
    expect(holdsNulCharacter({ input: { name: 'Zoë 山田 🚀', n: 1, ok: true, none: null } })).toBe(false);
    expect(holdsNulCharacter(undefined)).toBe(false);
  });

  it('walks JSON nested far deeper than the call stack goes', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}"\\u0000"${']'.repeat(200_000)}`);
    expect(holdsNulCharacter(deep)).toBe(true);
  });
});

describe('refuseNulCharacters', () => {
  const calls: string[] = [];
  const server = new ApolloServer({
    typeDefs: 'type Query { echo(text: String!): String! }',
    resolvers: { Query: { echo: (_: unknown, { text }: { text: string }) => (calls.push(text), text) } },
    plugins: [refuseNulCharacters()],
  });
  afterAll(() => server.stop());

  it('answers a NUL in a variable or a literal with BAD_USER_INPUT and HTTP 400, before any resolver runs', async () => {
    const literal = { query: '{ echo(text: "a\\u0000b") }' };
    // The literal twice: the second is answered from the check of its parsed document, alike.
    for (const request of [{ query: 'query($text: String!) { echo(text: $text) }', variables: { text: 'a\u0000b' } }, literal, literal]) {
      const response = await server.executeOperation(request);
      expect(response.http.status).toBe(400);
      expect(response.body.kind === 'single' && response.body.singleResult.errors).toEqual([
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
      ]);
    }
    expect(calls).toEqual([]);
  });

  it('lets any other text through', async () => {
    const response = await server.executeOperation({ query: 'query($text: String!) { echo(text: $text) }', variables: { text: 'Zoë \u202e 🚀' } });
    expect(response.body.kind === 'single' && response.body.singleResult).toEqual(expect.objectContaining({ data: { echo: 'Zoë \u202e 🚀' } }));
  });
});
