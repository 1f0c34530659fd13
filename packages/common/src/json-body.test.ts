import { gzipSync } from 'node:zlib';
import { createServer } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, listen } from './http.js';
import { jsonBody } from './json-body.js';

const logger = { error: () => undefined } as never;
let url: string;
let close: () => void;

beforeAll(async () => {
  const app = express();
  app.post('/echo', jsonBody(64), (req, res) => {
    res.json({ body: req.body ?? null, raw: req.rawBody?.toString() ?? null });
  });
  app.use(errorHandler(logger));
  const server = createServer(app);
  close = () => server.close();
  url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/echo`;
});
afterAll(() => close());

const post = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(url, { method: 'POST', headers, body });

describe('jsonBody', () => {
  it('parses a plain JSON body and keeps its exact bytes', async () => {
    const raw = '{ "query": "{ a }" }';
    const response = await post(raw, { 'content-type': 'application/json; charset=utf-8' });
    expect(await response.json()).toEqual({ body: { query: '{ a }' }, raw });
  });

  it('answers 400 for malformed JSON and for JSON that is not an object or array, as express.json() does', async () => {
    for (const raw of ['{ "query": ', '"just a string"', '42']) {
      const response = await post(raw);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ errors: [{ message: 'Malformed request body.', extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  it('answers 413 for a body over the limit', async () => {
    const response = await post(JSON.stringify({ query: 'x'.repeat(100) }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('leaves what is not plain to express.json(): a compressed body is inflated, another type is not read', async () => {
    const gzipped = await post(gzipSync('{"a":1}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(await gzipped.json()).toMatchObject({ body: { a: 1 } });
    const text = await post('{"a":1}', { 'content-type': 'text/plain' });
    expect(await text.json()).toEqual({ body: null, raw: null });
  });
});
