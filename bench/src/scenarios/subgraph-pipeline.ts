import { signRequest } from '@shopgraph/common';
import { measureInterleaved, type SystemResult } from '../measure.js';
import { warmupOf } from '../options.js';
import type { Progress } from '../progress.js';
import { benchId } from '../seed.js';
import type { Stage } from '../stage.js';

/**
 * The cheapest entity fetch a gateway makes: one User reference to the orders subgraph, whose
 * User is a stub (subgraphs/orders/src/resolvers/User.ts: no reference resolver, no SQL), asking
 * only `__typename`. What it costs is the request pipeline every subgraph call pays: HTTP, the
 * signature check and its nonce, GraphQL parsing, validation and execution, the access log.
 */
export const TRIVIAL_ENTITY_FETCH = `query TrivialEntity($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }`;

/** The subgraph measured, as the supergraph names it (the signature's audience) and as the platform names its process. */
const SUBGRAPH = 'orders';

export interface SubgraphPipelineResult {
  subgraph: string;
  query: string;
  system: SystemResult;
  /** The subgraph process's CPU ms per request: the pipeline's fixed cost. Target ≤ 0.8. */
  subgraphCpuMsPerRequest: number;
}

/**
 * Scenario: the subgraph request pipeline's fixed cost, measured on the platform's orders
 * subgraph directly, each request signed as the gateway signs its calls (a fresh nonce each, so
 * the nonce check in Redis is paid as in production).
 */
export async function runSubgraphPipeline(stage: Stage, progress: Progress): Promise<SubgraphPipelineResult> {
  const { options } = stage;
  const url = `http://127.0.0.1:${stage.ports[SUBGRAPH]}/graphql`;
  const body = JSON.stringify({ query: TRIVIAL_ENTITY_FETCH, variables: { representations: [{ __typename: 'User', id: benchId('user', 1) }] } });
  const secret = stage.env.GATEWAY_SECRET!;
  // One signed request first: a refusal (a signing mismatch) says why, instead of a round of 401s.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(secret, { method: 'POST', url, audience: SUBGRAPH, body }, null) },
    body,
  });
  const text = await response.text();
  if (!response.ok || text.includes('"errors":')) throw new Error(`the signed trivial entity fetch failed: HTTP ${response.status} ${text.slice(0, 300)}`);
  const [system] = await measureInterleaved(stage.loadgen, {
    systems: [{ key: 'orders-subgraph-signed', label: `${SUBGRAPH} subgraph, signed _entities { __typename }`, url, pids: stage.pidsOf(SUBGRAPH), usesDatabase: true }],
    requests: [{ body }],
    rounds: options.rounds,
    roundSeconds: options.roundSeconds,
    ...warmupOf(options),
    connections: options.connections,
    progress,
    title: 'subgraph pipeline',
    postgres: stage.postgres,
    sign: { secret, audience: SUBGRAPH },
  });
  return { subgraph: SUBGRAPH, query: TRIVIAL_ENTITY_FETCH, system: system!, subgraphCpuMsPerRequest: system!.cpuMsPerRequestByProcess[SUBGRAPH] ?? 0 };
}
