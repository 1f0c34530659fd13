import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { loadConfig } from './server/env.js';
import type { RuntimeConfig } from './src/runtime-config.js';

/** Answers `/config.json` in development as the web server does in production. */
function runtimeConfig(runtime: RuntimeConfig): Plugin {
  return {
    name: 'shopgraph-runtime-config',
    configureServer(server) {
      server.middlewares.use('/config.json', (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(runtime));
      });
    },
  };
}

// Libraries change less often than the app: their own chunks stay cached across releases.
const build = {
  rolldownOptions: {
    output: {
      codeSplitting: {
        groups: [
          { name: 'react', test: /node_modules[\\/](react|react-dom|react-router|scheduler)[\\/]/ },
          { name: 'apollo', test: /node_modules[\\/](@apollo|graphql|rxjs|@wry|optimism|tslib)[\\/]/ },
        ],
      },
    },
  },
};

// Loaded with `--configLoader runner` (see package.json) because server/env.ts imports the
// workspace's TypeScript packages. The build needs no environment; `vite` (turbo run dev)
// serves on WEB_PORT and proxies /graphql to GATEWAY_URL exactly like server.ts, so the app
// code is the same in both.
export default defineConfig(({ command }) => {
  if (command === 'build') return { plugins: [react()], build };
  const config = loadConfig();
  const gatewayPath = config.gatewayUrl.pathname;
  return {
    plugins: [react(), runtimeConfig(config.runtime)],
    server: {
      port: config.port,
      strictPort: true,
      proxy: {
        '/graphql': {
          target: config.gatewayUrl.origin,
          changeOrigin: true,
          rewrite: (path) => gatewayPath + path.slice('/graphql'.length),
        },
      },
    },
  };
});
