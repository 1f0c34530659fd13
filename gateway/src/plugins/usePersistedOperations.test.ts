import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@shopgraph/common';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApp } from '../../test/test-graph.js';
import { loadPersistedOperations, usePersistedOperations } from './usePersistedOperations.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const KNOWN = 'query Known { a }';
const UNKNOWN = 'query Unknown { b }';

let directory: string;
let manifestPath: string;
let open: Awaited<ReturnType<typeof serveApp>>;
let only: Awaited<ReturnType<typeof serveApp>>;
let rejected = 0;

/** Echoes what reaches the next handler: the body and the query string. */
async function serve(persistedOnly: boolean) {
  const app = express();
  app.use('/graphql', express.json(), usePersistedOperations({ path: manifestPath, only: persistedOnly, onRejected: () => rejected++ }).onParams, (req, res) => {
    res.json({ body: req.body as unknown, search: Object.fromEntries(new URL(req.url, 'http://x').searchParams) });
  });
  return serveApp(app);
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'shopgraph-persisted-'));
  manifestPath = join(directory, 'operations.json');
  writeFileSync(manifestPath, JSON.stringify({ [sha256(KNOWN)]: KNOWN }));
  [open, only] = await Promise.all([serve(false), serve(true)]);
});

afterAll(async () => {
  await Promise.all([open?.close(), only?.close()]);
  rmSync(directory, { recursive: true, force: true });
});

const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
const post = (server: { url: string }, body: unknown) =>
  fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const get = (server: { url: string }, params: Record<string, string>) => fetch(`${server.url}/graphql?${new URLSearchParams(params)}`);

describe('usePersistedOperations', () => {
  it('fills in the text of a listed operation sent by hash alone, without the APQ extension', async () => {
    const response = await post(open, { extensions: persisted(KNOWN), variables: { x: 1 } });
    expect(await response.json()).toEqual({ body: { query: KNOWN, extensions: {}, variables: { x: 1 } }, search: {} });
  });

  it('does the same for a GET', async () => {
    const response = await get(open, { extensions: JSON.stringify(persisted(KNOWN)) });
    expect(((await response.json()) as { search: unknown }).search).toEqual({ query: KNOWN, extensions: '{}' });
  });

  it('without `only`, lets everything else through untouched (APQ registration included)', async () => {
    const body = { query: UNKNOWN, extensions: persisted(UNKNOWN) };
    expect(await (await post(open, body)).json()).toEqual({ body, search: {} });
    expect(await (await post(open, { extensions: persisted(UNKNOWN) })).json()).toMatchObject({ body: { extensions: persisted(UNKNOWN) } });
  });

  it.each([
    ['an unlisted operation text', () => post(only, { query: UNKNOWN })],
    ['an unlisted hash', () => post(only, { extensions: persisted(UNKNOWN) })],
    ['an APQ registration of an unlisted operation', () => post(only, { query: UNKNOWN, extensions: persisted(UNKNOWN) })],
    ['a batch with one unlisted operation', () => post(only, [{ query: KNOWN }, { query: UNKNOWN }])],
    ['an unlisted GET', () => get(only, { query: UNKNOWN })],
  ])('with `only`, refuses %s with 400 PERSISTED_QUERY_NOT_ALLOWED', async (_, send) => {
    const before = rejected;
    const response = await send();
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [
        {
          message: 'This gateway runs persisted operations only, and this operation is not one of them.',
          extensions: { code: 'PERSISTED_QUERY_NOT_ALLOWED' },
        },
      ],
    });
    expect(rejected).toBe(before + 1);
  });

  it('with `only`, runs listed operations sent by hash or in full', async () => {
    expect((await post(only, { extensions: persisted(KNOWN) })).status).toBe(200);
    expect((await post(only, { query: KNOWN })).status).toBe(200);
    expect((await post(only, [{ query: KNOWN }, { extensions: persisted(KNOWN) }])).status).toBe(200);
  });

  it('refuses at start a manifest whose hashes do not match their operations, or that is not JSON', () => {
    const wrong = join(directory, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ [sha256(KNOWN)]: KNOWN, deadbeef: UNKNOWN }));
    expect(() => loadPersistedOperations(wrong)).toThrow(ConfigError);
    expect(() => loadPersistedOperations(wrong)).toThrow(/deadbeef: is not the sha256 of its operation text/);
    writeFileSync(wrong, 'not json');
    expect(() => loadPersistedOperations(wrong)).toThrow(/cannot read .* as JSON/);
    expect(() => loadPersistedOperations(join(directory, 'missing.json'))).toThrow(ConfigError);
  });
});
