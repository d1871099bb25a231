import { drainPool } from './scenarios/pool-drain.js';
const topic = process.argv[2]!; const expected = Number(process.argv[3]);
const extra = JSON.parse(process.argv[4] ?? '{}');
const env: any = { KAFKA_TOPIC: topic, CHECKPOINT_TOPIC: topic + '_ckpt', SOURCE_ID: topic, KAFKA_GROUP: topic + '_group', OUTPUT_DIR: '/tmp/prof-out', COLD_START: 'latest' };
const r = await drainPool(env, expected, { label: 'prof', extraEnv: extra });
console.log(JSON.stringify(extra), JSON.stringify(r)); process.exit(0);
