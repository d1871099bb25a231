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
CMD ["npm", "run", "source"]
