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
  /** The row after the change; for a delete, the row as it was. Column name → value as read. */
  row: Record<string, unknown>;
  source: SourceInfo;
  /**
   * A change rebuilt from the topic rather than read from MySQL (a delete the purged binlog can no longer show):
   * its Kafka key and its last record's fields as decoded, which the record reuses with this op and source.
   */
  prebuilt?: { key: string; values: Record<string, unknown> };
}
