# syntax=docker/dockerfile:1
# One image for both processes: docker-compose.yml runs the API and the worker from it
# with different commands.

FROM node:22-bookworm-slim AS deps
# better-sqlite3-multiple-ciphers builds from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The image ships npm 10, which ignores package.json#allowScripts; npm 11 applies the same
# install-script policy as CI and developers.
RUN npm install -g npm@11.19.1
WORKDIR /app
# The package files alone first: this layer (and the native build in it) is reused until they change.
# --ignore-scripts skips `prepare` (the build, which needs the sources); the install scripts package.json
# allows (allowScripts) then run by name.
COPY package.json package-lock.json ./
# The workspaces' package.json files too: npm ci links them as node_modules/@tftsr/*.
COPY --parents apps/*/package.json libs/*/package.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts \
 && npm rebuild better-sqlite3-multiple-ciphers msgpackr-extract

FROM deps AS build
COPY . .
RUN npm run build && npm prune --omit=dev
# node_modules/@tftsr/* link to the workspaces; at run time each needs only its package.json and its dist link
# (to dist/apps/<x> or dist/libs/<x>), which the runtime stage copies from /workspaces.
RUN for manifest in apps/*/package.json libs/*/package.json; do \
      dir=$(dirname "$manifest"); mkdir -p "/workspaces/$dir" && cp -P "$manifest" "$dir/dist" "/workspaces/$dir/"; \
    done

FROM node:22-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="tftsr-service" \
      org.opencontainers.image.description="Self-hosted TFTSR: turns raw logs into safe, shareable root-cause analyses (API and worker)." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.base.name="docker.io/library/node:22-bookworm-slim"
ENV NODE_ENV=production \
    TFTSR_DATA_DIR=/data \
    PORT=3000
WORKDIR /app
# Root-owned and read-only to the app user: the process can write only to /data.
# Only what runs: the compiled apps, libraries, scripts and the web app's bundle; no TypeScript, bench or test output.
# /workspaces holds the package.json and dist link of each @tftsr/* package that node_modules links to.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
COPY --from=build /app/dist/scripts ./dist/scripts
COPY --from=build /app/dist/web ./dist/web
COPY --from=build /workspaces/ ./
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/bin ./bin
# `tftsr` as a command, as the API's log tells the operator (docker compose exec api tftsr keys create …).
# A new named volume mounted at /data copies its ownership, so `node` can create tftsr.db.
RUN ln -s /app/bin/tftsr.js /usr/local/bin/tftsr \
 && mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Both processes run this image: the API is checked on /health/ready, the worker on its metrics port.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/scripts/healthcheck.js"]
CMD ["node", "dist/apps/api/src/main.js"]
