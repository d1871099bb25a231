# The pipeline's processes (compose.yaml): `docker run <image> source|consumers|start|status|…`.
# Built in two stages: TypeScript is compiled in the first, the second holds dist/ and the runtime dependencies
# only. node-rdkafka compiles librdkafka: the full bookworm image has python3, make and g++ for it.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schemas ./schemas
COPY src ./src
RUN npm run build

FROM node:24-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/patch-node-rdkafka.sh ./scripts/
COPY scripts/patches ./scripts/patches
# node-rdkafka's packed batch read for the pool (rebuilds its binding only).
RUN npm ci --omit=dev --no-audit --no-fund && bash scripts/patch-node-rdkafka.sh
COPY schemas ./schemas
COPY --from=build /app/dist ./dist
# Five consumers in one process: give libuv enough threads that file I/O never waits behind Kafka calls.
ENV UV_THREADPOOL_SIZE=16
# Two malloc arenas instead of one per thread that allocates: a lower peak RSS at the same speed.
ENV MALLOC_ARENA_MAX=2
# /metrics, /healthz and /readyz of the source (9471) and the consumer supervisor (9472). In a container the
# loopback default would hide them from the published port; publish them on the host's 127.0.0.1 (compose.yaml).
ENV METRICS_HOST=0.0.0.0
EXPOSE 9471 9472
# Node itself is PID 1 (exec form, no npm or shell in between): SIGTERM from `docker stop` reaches the pipeline's
# own handler, which commits what is whole and exits 0. Smaller young-generation spaces keep the RSS down
# (docs/performance.md).
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/cli/cdc.js"]
CMD ["source"]
