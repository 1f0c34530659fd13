import { parseEnv, platformEnvSchema, portSchema, toPlatformConfig } from '@shopgraph/common';
import { z } from 'zod';

const schema = platformEnvSchema.extend({
  DASHBOARD_PORT: portSchema.default(4010),
});

export type WorkersConfig = ReturnType<typeof toWorkersConfig>;

function toWorkersConfig(env: z.output<typeof schema>) {
  return { ...toPlatformConfig(env), dashboardPort: env.DASHBOARD_PORT };
}

/** The workers' configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): WorkersConfig {
  return toWorkersConfig(parseEnv(schema, source));
}
