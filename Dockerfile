# syntax=docker/dockerfile:1
# One production image for every Shopgraph process. A container picks its process with its working
# directory and entry file, the way `npm start` launches each one:
#   docker run shopgraph                                        # the gateway (/app/gateway, src/index.ts)
#   docker run -w /app/subgraphs/products shopgraph src/index.ts  # likewise users, orders, payments, /app/workers, /app/payment-provider
#   docker run -w /app/web shopgraph server.ts                    # the storefront
#   docker run -w /app shopgraph scripts/setup.ts                 # migrate every subgraph and seed the demo shop
#   docker run -w /app shopgraph deploy/src/migrate.ts products   # migrate one subgraph (Kubernetes' init containers)
#
# The processes run their TypeScript through tsx, exactly as `npm start` and the tests do, rather
# than an esbuild bundle: the code finds its GraphQL schemas, migrations and the supergraph next to
# its source files (import.meta.url), bull-board serves its UI from its package folder, and pino
# starts its transports by file path — a bundle would move or break all three. tsx is therefore a
# production dependency (root package.json); it compiles each file once into its cache in /tmp.
ARG NODE_IMAGE=node:20-bookworm-slim

# Only the package manifests: the dependency layers below are rebuilt when these change, not on
# every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete && find . -depth -type d -empty -delete

# Production dependencies only. Install scripts are off, as npm 11's allowScripts has them in
# development (esbuild, protobufjs and msgpackr ship what they need without them).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /app ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The storefront's browser assets, built with the development dependencies (Vite's tooling).
FROM ${NODE_IMAGE} AS web-build
WORKDIR /app
COPY --from=manifests /app ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build --workspace @shopgraph/web

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Every process listens on 127.0.0.1 unless HOST opens it: in a container, its port is reached from outside.
ENV HOST=0.0.0.0
WORKDIR /app
# Root owns the files and the processes run as `node`: the code cannot rewrite itself.
COPY --from=deps /app ./
COPY . .
# Built after the sources were copied, so the storefront sees its bundle as up to date.
COPY --from=web-build /app/web/dist ./web/dist
USER node
WORKDIR /app/gateway
EXPOSE 3000 4000 4001 4002 4003 4004 4005 4010
# The platform's Node flags (scripts/node-flags.ts says why; deploy/manifests.test.ts keeps them equal).
ENTRYPOINT ["node", "--max-semi-space-size=64", "--import", "tsx"]
CMD ["src/index.ts"]
