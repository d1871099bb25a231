/**
 * A source and a pool on their own topic, checkpoint, group and output directory, as a benchmark needs them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config.js';
import { mysqlOptions } from '../../src/mysql.js';
import { launch, type Proc } from './procs.js';

export const config = loadConfig();

export interface BenchEnv extends Record<string, string> {
  KAFKA_TOPIC: string;
  CHECKPOINT_TOPIC: string;
  SOURCE_ID: string;
  KAFKA_GROUP: string;
  OUTPUT_DIR: string;
}

let serial = 0;

export function isolatedEnv(label: string, extra: Record<string, string> = {}): BenchEnv {
  const name = `bench_${label}_${process.pid}_${Date.now().toString(36)}_${serial++}`;
  return {
    KAFKA_TOPIC: name, CHECKPOINT_TOPIC: `${name}_ckpt`, SOURCE_ID: name, KAFKA_GROUP: `${name}_group`,
    OUTPUT_DIR: mkdtempSync(join(tmpdir(), `${name}-`)), COLD_START: 'latest', ...extra,
  };
}

/** The Kafka a scenario's processes reach: the stack's, or the brokers its environment names (KAFKA_BROKERS). */
export function kafkaOf(env: Record<string, string>): typeof config.kafka {
  return env.KAFKA_BROKERS ? { ...config.kafka, brokers: env.KAFKA_BROKERS } : config.kafka;
}

export function adminPool(connections = 4): mysql.Pool {
  return mysql.createPool({ ...mysqlOptions(config, 'admin'), connectionLimit: connections });
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, procs: Proc[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    for (const p of procs) {
      if (p.proc.exitCode !== null) throw new Error(`${p.name} exited ${p.proc.exitCode} while waiting for ${what}:\n${p.output().slice(-3000)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${procs.map((p) => `\n--- ${p.name}:\n${p.output().slice(-2000)}`).join('')}`);
    }
    await sleep(50);
  }
}

export async function startSource(env: BenchEnv, root?: string): Promise<Proc> {
  const source = launch('source', env, [], root);
  await waitFor('the source to stream', () => /starting at the binlog|resuming from checkpoint/.test(source.output()), 90_000, [source]);
  return source;
}

/** The pool, once every partition of the topic is assigned to one of its consumers. */
export async function startPool(env: BenchEnv, root?: string, extra: Record<string, string> = {}): Promise<Proc> {
  const pool = launch('consumers', { ...env, ...extra }, [], root);
  await waitFor('the pool to hold every partition', () => {
    const held = new Map<string, number[]>();
    for (const m of pool.output().matchAll(/"component":"consumer-(\d+)"[^\n]*?now holds \[([\d, ]*)\]|now holds \[([\d, ]*)\][^\n]*?"component":"consumer-(\d+)"/g)) {
      const slot = m[1] ?? m[4]!;
      held.set(slot, (m[2] ?? m[3] ?? '').split(',').filter((s) => s.trim() !== '').map(Number));
    }
    return new Set([...held.values()].flat()).size >= config.kafka.partitions;
  }, 90_000, [pool]);
  return pool;
}
