# One image for every nids service: `docker run nids <command>` (sensor, trainer, scorer,
# sink, analyze, simulate, registry, ...). libpcap for the sensor's live capture; the
# TypeScript is compiled to dist/ at install, as in a clone.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap0.8 libpcap-dev fonts-dejavu-core python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nids
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY cli ./cli
COPY lib ./lib
COPY services ./services
COPY schemas ./schemas
COPY native ./native
COPY scripts/create-topics.ts scripts/build.ts ./scripts/
# npm ci compiles dist/ (the prepare script) with the dev dependencies, which are then dropped.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund \
 && apt-get purge -y make g++ && apt-get autoremove -y
ENV NIDS_METRICS_HOST=0.0.0.0 NIDS_METRICS_PORT=9464
EXPOSE 9464
ENTRYPOINT ["./bin/nids"]
