/** `--version`: this package's version, the Node runtime and the librdkafka the Kafka clients were built with. */
import { librdkafkaVersion, packageVersion } from '../version.js';

export function versionText(): string {
  return `cdc ${packageVersion()} (node ${process.version}, librdkafka ${librdkafkaVersion()})\n`;
}
