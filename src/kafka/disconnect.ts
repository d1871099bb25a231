import type Kafka from 'node-rdkafka';

/**
 * Disconnects a librdkafka client, waiting at most `timeoutMs`: a client whose brokers are gone may never call
 * back, and a stopping process must not hang on it.
 */
export function disconnectWithin(client: Kafka.Producer | Kafka.KafkaConsumer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    (client as Kafka.Producer).disconnect(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
