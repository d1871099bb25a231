/** `--version`: this package's version, the Node runtime and the librdkafka the Kafka clients were built with. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function packageVersion(): string {
  // src/cli and dist/cli are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function versionText(): string {
  let librdkafka: string;
  try {
    librdkafka = (createRequire(import.meta.url)('node-rdkafka') as { librdkafkaVersion: string }).librdkafkaVersion;
  } catch (err) {
    librdkafka = `not loadable: ${(err as Error).message.split('\n')[0]}`;
  }
  return `cdc ${packageVersion()} (node ${process.version}, librdkafka ${librdkafka})\n`;
}
