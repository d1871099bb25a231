/**
 * A line worker's thread (src/pool/line-workers.ts): decodes and transforms the batches it is handed with the
 * writer schemas it was given, and hands back each topic's lines. It reads no registry, file or topic itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UnknownSchemaError } from '../codec/errors.js';
import { Decoder } from './decoder.js';
import { linesTransfers, makeLines } from './line-batch.js';
import type { WorkerOptions } from './line-workers.js';
import type { PackedBatch } from './packed-batch.js';

const schemas = new Map<number, { text: string } | { poison: string }>();
const decoder = new Decoder({
  schemaText: async (id: number) => {
    const s = schemas.get(id);
    if (!s) throw new Error(`writer schema ${id} was not handed to the line worker`);
    // The consumers' thread found no schema (or no usable one) under this id: the same dead letter here.
    if ('poison' in s) throw new UnknownSchemaError(s.poison);
    return s.text;
  },
}, workerData as WorkerOptions);

interface Request {
  id: number;
  batch: PackedBatch;
  schemas: Array<[number, { text: string } | { poison: string }]>;
}

parentPort!.on('message', (req: Request) => {
  void (async () => {
    try {
      for (const [id, s] of req.schemas) schemas.set(id, s);
      await decoder.prepareIds(req.batch.schemaIds);
      const made = makeLines(decoder, req.batch);
      parentPort!.postMessage({ id: req.id, made }, linesTransfers(made));
    } catch (err) {
      parentPort!.postMessage({ id: req.id, error: (err as Error).message });
    }
  })();
});
