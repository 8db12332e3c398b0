# syntax=docker/dockerfile:1
# One image for both processes: docker-compose.yml runs the API and the worker from it
# with different commands.

FROM node:22-bookworm-slim AS build
# better-sqlite3-multiple-ciphers builds from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The image ships npm 10, which ignores package.json#allowScripts; npm 11 applies the same
# install-script policy as CI and developers.
RUN npm install -g npm@11.19.1
WORKDIR /app
# The sources come first: `npm ci` runs the `prepare` script, which compiles them.
COPY . .
RUN npm ci && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    TFTSR_DATA_DIR=/data \
    PORT=3000
WORKDIR /app
# Root-owned and read-only to the app user: the process can write only to /data.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/bin ./bin
# A new named volume mounted here copies this ownership, so `node` can create tftsr.db.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# No HEALTHCHECK here: the worker runs this image too and serves no HTTP; compose checks the API.
CMD ["node", "dist/apps/api/src/main.js"]
