/** `cdc_build_info`: which version of the pipeline, on which Node and librdkafka, a process runs (value 1). */
import { Gauge, type Registry } from 'prom-client';
import { librdkafkaVersion, packageVersion } from '../version.js';

export function registerBuildInfo(registry: Registry): void {
  new Gauge({
    name: 'cdc_build_info', help: 'The running version (labels), always 1', labelNames: ['version', 'node', 'librdkafka'],
    registers: [registry],
  }).set({ version: packageVersion(), node: process.version, librdkafka: librdkafkaVersion() }, 1);
}
