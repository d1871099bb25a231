/** This package's version, and the librdkafka the Kafka clients were built with. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function packageVersion(): string {
  // src/ and dist/ are both one level below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Loads node-rdkafka synchronously; says why when it cannot (built for another Node). */
export function librdkafkaVersion(): string {
  try {
    return (createRequire(import.meta.url)('node-rdkafka') as { librdkafkaVersion: string }).librdkafkaVersion;
  } catch (err) {
    return `not loadable: ${(err as Error).message.split('\n')[0]}`;
  }
}
