/**
 * Whether any bootstrap broker accepts a TCP connection, asked before a client connects: librdkafka would wait
 * out its whole timeout (30 s) and then say only "broker transport failure". This answers within seconds and
 * names the brokers and the setting.
 */
import { connect } from 'node:net';
import type { KafkaConnection } from '../config/kafka.js';
import { KafkaUnreachableError } from './errors.js';

function tryBroker(address: string, timeoutMs: number): Promise<string | undefined> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** Resolves when one broker of KAFKA_BROKERS accepts a connection; otherwise throws, naming each one's problem. */
export async function assertReachable(kafka: KafkaConnection, timeoutMs = 3000): Promise<void> {
  const brokers = kafka.brokers.split(',').map((b) => b.trim()).filter(Boolean);
  const problems = await Promise.all(brokers.map((b) => tryBroker(b, timeoutMs)));
  if (problems.some((p) => p === undefined)) return;
  throw new KafkaUnreachableError(
    `Kafka unreachable: ${brokers.map((b, i) => `${b} ${problems[i]}`).join(', ')}; start the brokers or fix KAFKA_BROKERS`);
}
