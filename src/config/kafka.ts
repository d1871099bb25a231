/**
 * How the pipeline's Kafka clients reach the brokers: the broker list, security (TLS, SASL) and librdkafka
 * pass-through settings, turned into the options of both client libraries in one place.
 */
import { readFileSync } from 'node:fs';
import type { KafkaConfig as KafkaJsConfig, SASLOptions } from 'kafkajs';

export type SecurityProtocol = 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl';
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface KafkaSecurity {
  protocol: SecurityProtocol;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  ssl?: { caLocation?: string; certificateLocation?: string; keyLocation?: string; keyPassword?: string };
}

export interface KafkaConnection {
  brokers: string;
  security: KafkaSecurity;
  /** librdkafka settings given as RDKAFKA_<NAME> (underscores become dots), passed to every client. */
  passThrough: Record<string, string>;
}

/** librdkafka settings the pipeline sets itself, because exactly-once or the named settings depend on them. */
export const MANAGED_RDKAFKA = new Map<string, string>([
  ['metadata.broker.list', 'KAFKA_BROKERS'], ['bootstrap.servers', 'KAFKA_BROKERS'],
  ['security.protocol', 'KAFKA_SECURITY_PROTOCOL'], ['sasl.mechanisms', 'KAFKA_SASL_MECHANISM'],
  ['sasl.mechanism', 'KAFKA_SASL_MECHANISM'], ['sasl.username', 'KAFKA_SASL_USERNAME'],
  ['sasl.password', 'KAFKA_SASL_PASSWORD'], ['ssl.ca.location', 'KAFKA_SSL_CA_LOCATION'],
  ['ssl.certificate.location', 'KAFKA_SSL_CERTIFICATE_LOCATION'], ['ssl.key.location', 'KAFKA_SSL_KEY_LOCATION'],
  ['ssl.key.password', 'KAFKA_SSL_KEY_PASSWORD'],
  ['transactional.id', 'SOURCE_ID'], ['enable.idempotence', ''], ['group.id', 'KAFKA_GROUP'],
  ['enable.auto.commit', ''], ['enable.auto.offset.store', ''], ['isolation.level', ''],
]);

/** The common part of every librdkafka client's configuration. */
export function rdkafkaOptions(kafka: KafkaConnection): Record<string, string> {
  const { security } = kafka;
  const options: Record<string, string> = { 'metadata.broker.list': kafka.brokers, 'security.protocol': security.protocol };
  if (security.sasl) {
    options['sasl.mechanisms'] = security.sasl.mechanism;
    options['sasl.username'] = security.sasl.username;
    options['sasl.password'] = security.sasl.password;
  }
  const ssl = security.ssl;
  if (ssl?.caLocation) options['ssl.ca.location'] = ssl.caLocation;
  if (ssl?.certificateLocation) options['ssl.certificate.location'] = ssl.certificateLocation;
  if (ssl?.keyLocation) options['ssl.key.location'] = ssl.keyLocation;
  if (ssl?.keyPassword) options['ssl.key.password'] = ssl.keyPassword;
  return { ...options, ...kafka.passThrough };
}

/** The same connection for KafkaJS (used only for the group admin calls node-rdkafka lacks). */
export function kafkajsOptions(kafka: KafkaConnection): Pick<KafkaJsConfig, 'brokers' | 'ssl' | 'sasl'> {
  const { security } = kafka;
  const tls = security.protocol === 'ssl' || security.protocol === 'sasl_ssl';
  const s = security.ssl;
  const read = (path: string | undefined) => (path ? readFileSync(path, 'utf8') : undefined);
  return {
    brokers: kafka.brokers.split(',').map((b) => b.trim()),
    ...(tls ? {
      ssl: s && (s.caLocation || s.certificateLocation)
        ? { ca: s.caLocation ? [read(s.caLocation)!] : undefined, cert: read(s.certificateLocation), key: read(s.keyLocation), passphrase: s.keyPassword }
        : true,
    } : {}),
    ...(security.sasl ? {
      sasl: {
        mechanism: security.sasl.mechanism.toLowerCase(), username: security.sasl.username, password: security.sasl.password,
      } as SASLOptions,
    } : {}),
  };
}
