# SealWatch service: embedded MQTT broker (1883), HTTP API, page and metrics (8080).
FROM node:20-bookworm-slim

# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
# Applied by npm ci (postinstall, patch-package): see broker/README.md, "One patch to Aedes' source".
COPY patches ./patches
RUN npm ci --omit=dev
# Only the sources: a host's node_modules or data/ must never reach the image.
COPY tsconfig.json ./
COPY app ./app
COPY contract ./contract
COPY core ./core
COPY registry ./registry
COPY storage ./storage
COPY broker ./broker
COPY ingest ./ingest
COPY alerting ./alerting
COPY api ./api
COPY dashboards ./dashboards
COPY simulator ./simulator

ENV NODE_ENV=production \
    DATA_DIR=/app/data
VOLUME ["/app/data"]
EXPOSE 1883 8080

# The same bundle `npm start` builds, made once at image build time.
RUN npm run build
# The Node options of app/nodeFlags.ts, as `npm start` gives them.
CMD ["node", "--enable-source-maps", "--min-semi-space-size=16", "--heap-growing-percent=100", "dist/main.js"]
