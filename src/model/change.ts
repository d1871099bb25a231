/**
 * Change events: what the source reads, before any encoding; the model every stage shares (reader, codec,
 * sink), so imports flow one way. Provenance (`source`) travels with each event; the resumable position is
 * kept apart, in the checkpoint.
 */
export type Op = 'c' | 'u' | 'd' | 'r';

export interface SourceInfo {
  serverId: number;
  db: string;
  table: string;
  file: string;
  pos: number;
  row: number;
  gtid: string | null;
  tsMs: number;
  snapshot: boolean;
}

export interface ChangeEvent {
  op: Op;
  /** The primary key, also the Kafka key. */
  id: number;
  /** The row after the change; for a delete, the row as it was. Column name → value as read. */
  row: Record<string, unknown>;
  source: SourceInfo;
}
