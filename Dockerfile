# Production image: the server as `node dist/index.js` (README, Quick start), non-root.
#   docker build -t core-meme-websocket .
#   docker run --init -p 3003:3003 -e CORE_RPC_URL=https://rpc.coredao.org -e CORE_WS_URL=wss://ws.coredao.org core-meme-websocket
# Without CORE_RPC_URL (and CORE_NETWORK) the process runs the embedded devnet (anvil + simulator).
# Several processes on Redis behind a load balancer: docker-compose.yml.

# Build: compile TypeScript, then keep only the production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no `prepare` (src is not here yet) and no install scripts; the anvil binary comes
# from its platform package (@foundry-rs/anvil-linux-*), not from @foundry-rs/anvil's postinstall.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.client.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY public ./public
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# The default CHECKPOINT_FILE and DEVNET_FILE live in /app/.data: writable by the server's user
# (mount a volume there to keep a single process's checkpoint across container restarts).
RUN mkdir .data && chown node:node .data
EXPOSE 3003
USER node
# Liveness: GET /health on WS_PORT (gateway and indexer alike). Load balancers use GET /ready.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
# SIGTERM drains (GET /ready → 503, clients closed with 1012) and exits within SHUTDOWN_TIMEOUT_MS + 2 s:
# give `docker stop` more than that (`--time`, compose `stop_grace_period`), and use --init (or compose
# `init: true`) so that the embedded devnet's anvil child is reaped.
CMD ["node", "dist/index.js"]
