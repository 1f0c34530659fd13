import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';

/*
 * Reading a JSON request body. express.json() (body-parser, raw-body, type-is, negotiator) was 4 %
 * of the gateway's CPU on a miss (issue 14), all of it spent on what a plain request does not
 * need: the common request — a UTF-8 JSON body of an announced length, not compressed — is read
 * and parsed here; anything else (compressed, chunked, another charset, another type) still goes
 * to express.json(), which answers it as it always did. The gateway's cache front door
 * (gateway/src/response-cache/front-door.ts) reads bodies the same way.
 */

/** What express.json() accepts without question: every other content type is left to it. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset=utf-?8\s*)?$/i;

/** The announced length of a plain JSON POST body no larger than `maxBytes`; undefined for anything else. */
export function plainJsonLength(req: IncomingMessage, maxBytes: number): number | undefined {
  const { headers } = req;
  if (req.method !== 'POST' || !headers['content-type'] || !PLAIN_JSON.test(headers['content-type'])) return undefined;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(headers['content-length']);
  return Number.isInteger(length) && length > 0 && length <= maxBytes ? length : undefined;
}

/** Calls `done` with the whole body, or destroys the request when it is not the `length` bytes announced. */
export function readAnnouncedBody(req: IncomingMessage, length: number, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
  });
  req.on('end', () => {
    // Shorter or longer than announced: the connection is broken; nothing sensible can be answered.
    if (size !== length) req.destroy();
    else done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
  req.on('error', () => req.destroy());
}

/** What express.json() would make of `raw`: its parse (strict: an object or array) or its 400. */
export function parseJsonBody(raw: Buffer): { body: unknown } | { error: Error & { status: number } } {
  const text = raw.toString();
  const first = /\S/.exec(text)?.[0];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not a JSON object or array');
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { error: Object.assign(new Error('Malformed request body.'), { status: 400, type: 'entity.parse.failed' }) };
  }
}

/** JSON bodies up to `limitBytes`, keeping the raw bytes for signature checks. */
export function jsonBody(limitBytes = 1024 * 1024) {
  const otherwise = express.json({
    limit: limitBytes,
    verify: (req: IncomingMessage, _res, buffer) => {
      req.rawBody = buffer;
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    // Read already, by the cache's front door.
    if (req.rawBody !== undefined) return next();
    const length = plainJsonLength(req, limitBytes);
    if (length === undefined) return otherwise(req, res, next);
    readAnnouncedBody(req, length, (raw) => {
      req.rawBody = raw;
      const parsed = parseJsonBody(raw);
      if ('body' in parsed) {
        req.body = parsed.body;
        next();
      } else {
        next(parsed.error);
      }
    });
  };
}
