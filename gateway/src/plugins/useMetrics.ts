import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@shopgraph/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { PluginWith } from './plugin.js';

export interface MetricsOptions {
  registry: Registry;
  /** Distinct operation names kept as labels; later ones are counted as `other`. */
  maxOperationNames?: number;
}

export interface GatewayMetrics extends PluginWith<'apolloPlugins'> {
  /** Counts an error answered outside Apollo Server (e.g. a refused bearer token). */
  countError(code: string): void;
}

/**
 * `shopgraph_gateway_operation_duration_seconds{operation, type}` and
 * `shopgraph_gateway_errors_total{code}` on the process's `/metrics`.
 */
export function useMetrics({ registry, maxOperationNames = 500 }: MetricsOptions): GatewayMetrics {
  const duration = new Histogram({
    name: 'shopgraph_gateway_operation_duration_seconds',
    help: 'GraphQL operations through the gateway, from request to response, by operation name and type.',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'shopgraph_gateway_errors_total',
    help: 'Errors the gateway answered, by extensions.code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  // Operation names come from clients: an unbounded label set would let anyone grow memory.
  const knownNames = new Set<string>();
  const operationLabel = (name: string | undefined) => {
    const label = name ?? 'anonymous';
    if (knownNames.has(label)) return label;
    if (knownNames.size >= maxOperationNames) return 'other';
    knownNames.add(label);
    return label;
  };

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
        const startedAt = process.hrtime.bigint();
        return {
          async didEncounterErrors({ errors: encountered }) {
            for (const error of encountered) {
              const code = error.extensions?.code;
              errors.inc({ code: typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR });
            }
          },
          async willSendResponse({ operation, operationName }) {
            const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
            // Without a resolved operation (parse or validation failure) the name is the client's word only.
            const labels = operation
              ? { operation: operationLabel(operationName ?? undefined), type: operation.operation }
              : { operation: 'invalid', type: 'invalid' };
            duration.observe(labels, seconds);
          },
        };
      },
  };
  return {
    name: 'metrics',
    apolloPlugins: [plugin],
    countError(code) {
      errors.inc({ code });
    },
  };
}
