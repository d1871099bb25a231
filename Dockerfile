# The pipeline's processes for compose.yaml. node-rdkafka compiles librdkafka: the full bookworm image has
# python3, make and g++ for it.
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY tsconfig.json ./
COPY schemas ./schemas
COPY src ./src
# Five consumers in one process: give libuv enough threads that file I/O never waits behind Kafka calls.
ENV UV_THREADPOOL_SIZE=16
# /metrics, /healthz and /readyz of the source (9471) and the consumer supervisor (9472). In a container the
# loopback default would hide them from the published port; publish them on the host's 127.0.0.1 (compose.yaml).
ENV METRICS_HOST=0.0.0.0
EXPOSE 9471 9472
CMD ["npm", "run", "source"]
