# One image for every Shopgraph process; docker-compose picks the process with SERVICE_DIR.
# It runs the TypeScript sources through tsx, exactly as `npm start` does.
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && chown -R node:node /app
USER node
ARG SERVICE_DIR=gateway
ENV SERVICE_DIR=${SERVICE_DIR}
CMD ["sh", "-c", "cd \"$SERVICE_DIR\" && exec node --import tsx src/index.ts"]
