# The gatestack API gateway image (`stack gateway serve`): a Kong-compatible proxy serving the DB-less
# declarative config at /etc/gateway/gateway.yaml. Ports: proxy 8000, Admin API 8001 (loopback unless
# GATEWAY_ADMIN_LISTEN=0.0.0.0:8001 and GATEWAY_ADMIN_TOKEN are set), status 8100.
#
# Build context: this repository, or an installed gatestack package (prebuilt dist/, no src/ and no
# package-lock.json: then the compile step is skipped and dependencies are resolved by npm install).
# NODE_IMAGE can point at a local mirror or an offline stand-in (test/e2e/images/build-offline.sh node).
# Offline builds: an npm cache in .npm-offline/cache (test/e2e/images/build-gateway.sh prepares one)
# is used instead of the registry.
# The image also carries the whole `stack` CLI (bin/run.js, dist/, templates/): the generated Jenkins
# image copies it from here to run the pipeline's `stack validate` and `stack render --check`.
ARG NODE_IMAGE=node:22-slim

# ---- build: full dependency tree + TypeScript compile + the manager's front-end bundle (esbuild) + the portal's files
FROM ${NODE_IMAGE} AS build
WORKDIR /offline
COPY package.json .npm-offlin[e] ./
WORKDIR /app
COPY package.json package-lock.jso[n] ./
RUN set -eu; \
    if [ -d /offline/cache ]; then export npm_config_cache=/offline/cache npm_config_offline=true; fi; \
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --ignore-scripts; \
    else npm install --no-audit --no-fund --ignore-scripts --no-package-lock; fi
COPY . .
RUN set -eu; \
    if [ -d src ]; then rm -rf dist && npx tsc -p tsconfig.build.json; fi; \
    if [ -d gui ]; then node scripts/build-gui.mjs; fi; \
    if [ -d portal ]; then node scripts/build-portal.mjs; fi; \
    test -f dist/commands/gateway/serve.js && test -d templates && test -f dist/gui/index.html && test -f dist/portal/index.html

# ---- production dependencies only
FROM ${NODE_IMAGE} AS deps
COPY --from=build /offline /offline
WORKDIR /app
COPY package.json package-lock.jso[n] ./
RUN set -eu; \
    if [ -d /offline/cache ]; then export npm_config_cache=/offline/cache npm_config_offline=true; fi; \
    if [ -f package-lock.json ]; then npm ci --omit=dev --no-audit --no-fund --ignore-scripts; \
    else npm install --omit=dev --no-audit --no-fund --ignore-scripts --no-package-lock; fi; \
    rm -rf /offline; npm cache clean --force 2>/dev/null || true

# ---- runtime: production dependencies, compiled JS, non-root
FROM ${NODE_IMAGE}
# A small young generation keeps the gateway's RSS low (~20 MB less than Node's default); proxy
# requests allocate little that survives, so scavenges stay cheap (bench/README.md, Gateway proxy).
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/templates ./templates
RUN mkdir -p /etc/gateway && chown node:node /etc/gateway
USER node
EXPOSE 8000 8001 8100
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8100/status/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/run.js", "gateway", "serve"]
