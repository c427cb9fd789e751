# syntax=docker/dockerfile:1
# The one recipe of the five services (auth, tickets, orders, payments, expiration),
# built from the repository root (every service needs common/):
#   docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=auth .
# (podman build also needs --ignorefile infra/docker/service.Dockerfile.dockerignore;
# BuildKit finds <Dockerfile>.dockerignore by itself.)
#
# Stages:
#   build    all dependencies of common/ and the five services (one layer, the same for
#            every service, so five builds install them once), common/ compiled (also
#            shared), then SERVICE's sources compiled;
#   dev      what `skaffold dev` runs: recompiles synced sources;
#   modules  SERVICE's production dependencies only, without what nothing loads at run
#            time (TypeScript sources and declarations, source maps, docs, tests, the ESM
#            copies of CommonJS packages);
#   run      the default: the Node image, those modules, the compiled JavaScript of
#            common/ and SERVICE, user node (uid 1000), node as PID 1.

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
RUN chown node:node /app
USER node
# Manifests first, so that the dependency layer is rebuilt only when they change. Every
# workspace's package.json is needed: npm ci checks the lock file against all of them.
COPY --chown=node:node package.json package-lock.json tsconfig.base.json ./
COPY --chown=node:node common/package.json common/
COPY --chown=node:node auth/package.json auth/
COPY --chown=node:node tickets/package.json tickets/
COPY --chown=node:node orders/package.json orders/
COPY --chown=node:node payments/package.json payments/
COPY --chown=node:node expiration/package.json expiration/
COPY --chown=node:node client/package.json client/
RUN --mount=type=cache,target=/home/node/.npm,uid=1000,gid=1000 \
    npm ci --no-audit --no-fund --include-workspace-root \
      --workspace @ticketing/common --workspace @ticketing/auth --workspace @ticketing/tickets \
      --workspace @ticketing/orders --workspace @ticketing/payments --workspace @ticketing/expiration
COPY --chown=node:node common/ common/
RUN npm run build --workspace @ticketing/common
# From here on the layers are SERVICE's own.
ARG SERVICE
RUN case "$SERVICE" in auth|tickets|orders|payments|expiration) ;; \
      *) echo "--build-arg SERVICE=auth|tickets|orders|payments|expiration is required (got '$SERVICE')" >&2; exit 1 ;; esac
COPY --chown=node:node ${SERVICE}/ ${SERVICE}/
RUN npm run build --workspace "@ticketing/$SERVICE"

FROM build AS dev
ARG SERVICE
WORKDIR /app/${SERVICE}
# skaffold syncs src/ into the container; tsc recompiles it and node restarts on the new
# JavaScript. exec makes node PID 1, so SIGTERM reaches it.
CMD ["sh", "-c", "../node_modules/.bin/tsc -p tsconfig.build.json --watch --preserveWatchOutput & exec node --watch dist/index.js"]

FROM node:20.20.2-bookworm-slim AS modules
ARG SERVICE
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY auth/package.json auth/
COPY tickets/package.json tickets/
COPY orders/package.json orders/
COPY payments/package.json payments/
COPY expiration/package.json expiration/
COPY client/package.json client/
# Production dependencies only; then away with what no require() reads (about half of
# the folder): .ts sources and declarations, source maps, docs, the packages' own tests,
# type-only packages, and OpenTelemetry's build/esm and build/esnext copies, which only
# `import` would load (the services are CommonJS).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --omit=dev \
      --workspace @ticketing/common --workspace "@ticketing/$SERVICE" \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
      -o -name '*.md' -o -name '*.markdown' \) -delete \
 && rm -rf node_modules/@types node_modules/*/test node_modules/*/tests node_modules/@*/*/test \
      node_modules/@*/*/tests node_modules/@opentelemetry/*/build/esm node_modules/@opentelemetry/*/build/esnext

FROM node:20.20.2-bookworm-slim AS run
ARG SERVICE
ENV NODE_ENV=production
# A small young generation, a bounded heap and one V8 worker thread: resident memory stays
# under 100 MB under load (bench/README.md); the services hold little in memory beyond the
# ticket list.
ENV NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=96 --v8-pool-size=1"
WORKDIR /app
# Everything stays root-owned, read-only to the unprivileged user below.
COPY package.json ./
COPY common/package.json common/
COPY ${SERVICE}/package.json ${SERVICE}/
COPY --from=modules /app/node_modules node_modules
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/${SERVICE}/dist ${SERVICE}/dist
# The image's unprivileged user (uid 1000).
USER node
WORKDIR /app/${SERVICE}
EXPOSE 3000
# node itself, not npm: signals reach the process, which shuts down gracefully on SIGTERM.
# Probes are Kubernetes' (infra/k8s), so the image has no HEALTHCHECK.
CMD ["node", "dist/index.js"]
