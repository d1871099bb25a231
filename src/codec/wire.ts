/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro binary body. */
import { WireFormatError } from './errors.js';

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, 5);
  return out;
}

export function unframe(value: Buffer): { schemaId: number; body: Buffer } {
  if (value.length < 5) throw new WireFormatError(`value of ${value.length} bytes is too short for the Confluent wire format`);
  if (value[0] !== 0) throw new WireFormatError(`magic byte is ${value[0]}, expected 0 (not Confluent-framed Avro)`);
  return { schemaId: value.readUInt32BE(1), body: value.subarray(5) };
}
