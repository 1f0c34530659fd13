import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@shopgraph/common';
import type { Request, RequestHandler } from 'express';
import type { PluginWith } from './plugin.js';

export const PERSISTED_QUERY_NOT_ALLOWED = 'PERSISTED_QUERY_NOT_ALLOWED';

export interface PersistedOperationsOptions {
  /** A JSON object mapping the sha256 (hex) of each operation's text to that text. */
  path: string;
  /** Refuse every operation that is not in the manifest. */
  only: boolean;
  /** Called for each refused operation (metrics). */
  onRejected?: () => void;
}

export interface PersistedOperations extends PluginWith<'onParams'> {
  only: boolean;
  /** Names the manifest's set of operations: two gateways with the same version allow the same operations. */
  version: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads and checks the manifest; every wrong entry is listed at once. */
export function loadPersistedOperations(path: string): Map<string, string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PERSISTED_OPERATIONS_PATH: cannot read ${path} as JSON (${(error as Error).message}).`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new ConfigError(`PERSISTED_OPERATIONS_PATH: ${path} must hold a JSON object of sha256 → operation text.`);
  }
  const problems = Object.entries(manifest).flatMap(([hash, query]) =>
    typeof query !== 'string' || sha256(query) !== hash ? [`  - ${hash}: is not the sha256 of its operation text`] : [],
  );
  if (problems.length > 0) throw new ConfigError(`PERSISTED_OPERATIONS_PATH: ${path} has wrong entries:\n${problems.join('\n')}`);
  return new Map(Object.entries(manifest as Record<string, string>));
}

interface OperationRequest {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } };
}

const asOperation = (value: unknown): OperationRequest | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as OperationRequest) : undefined;

/**
 * Whether the operation may run; an operation sent by hash only that the manifest knows gets its
 * text filled in (and loses its APQ extension, so Apollo Server does not store it again).
 */
function admit(operation: OperationRequest, manifest: Map<string, string>, only: boolean): boolean {
  if (typeof operation.query === 'string') return !only || manifest.has(sha256(operation.query));
  const hash = operation.extensions?.persistedQuery?.sha256Hash;
  if (typeof hash !== 'string') return true; // nothing to run: Apollo Server answers that itself
  const query = manifest.get(hash);
  if (query === undefined) return !only;
  operation.query = query;
  delete operation.extensions!.persistedQuery;
  return true;
}

/** The same for a GET, whose operation lives in the query string. */
function admitGet(req: Request, manifest: Map<string, string>, only: boolean): boolean {
  const url = new URL(req.url, 'http://gateway');
  let extensions: OperationRequest['extensions'];
  try {
    extensions = JSON.parse(url.searchParams.get('extensions') ?? '{}') as OperationRequest['extensions'];
  } catch {
    return true; // malformed: Apollo Server answers that itself
  }
  const operation: OperationRequest = { query: url.searchParams.get('query') ?? undefined, extensions: extensions ?? {} };
  if (!admit(operation, manifest, only)) return false;
  if (typeof operation.query === 'string' && !url.searchParams.has('query')) {
    url.searchParams.set('query', operation.query);
    url.searchParams.set('extensions', JSON.stringify(operation.extensions));
    req.url = `${url.pathname}${url.search}`;
  }
  return true;
}

/**
 * An allow-list of persisted operations (a manifest a client build produces). The operations in
 * it can be sent by hash alone with no registration round trip; with `only`, nothing else runs:
 * an unknown hash or operation text is refused with 400 `PERSISTED_QUERY_NOT_ALLOWED`, and so is
 * an attempt to register a new one through automatic persisted queries.
 */
export function usePersistedOperations({ path, only, onRejected }: PersistedOperationsOptions): PersistedOperations {
  const manifest = loadPersistedOperations(path);
  const onParams: RequestHandler = (req, res, next) => {
    const body: unknown = req.body;
    const admitted =
      req.method === 'GET'
        ? admitGet(req, manifest, only)
        : (Array.isArray(body) ? body : [body]).every((entry) => {
            const operation = asOperation(entry);
            return !operation || admit(operation, manifest, only);
          });
    if (admitted) {
      next();
      return;
    }
    onRejected?.();
    res.status(400).json({
      errors: [
        {
          message: 'This gateway runs persisted operations only, and this operation is not one of them.',
          extensions: { code: PERSISTED_QUERY_NOT_ALLOWED },
        },
      ],
    });
  };
  return { name: 'persisted-operations', onParams, only, version: sha256([...manifest.keys()].sort().join('\n')).slice(0, 16) };
}
