/**
 * The bounded hand-off between the binlog reader (which cannot block: zongji pushes) and the Kafka sink.
 * Weighted by changes and by bytes (of the binlog events they came in: a wide row weighs what it costs); above
 * either `high` the reader is told to pause its connection, below both `low` to resume. Memory is bounded by the
 * highs plus what was in flight on the socket when it paused.
 */
export class Channel<T> {
  private items: Array<{ item: T; weight: number; bytes: number }> = [];
  private head = 0;
  private weight = 0;
  private bytes = 0;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private throttled = false;

  constructor(
    private readonly high: number,
    private readonly low: number,
    private readonly onThrottle: (pause: boolean) => void,
    /** The bytes bound: pause above `high`, resume below `low` (default: none). */
    private readonly byteBound: { high: number; low: number } = { high: Infinity, low: Infinity },
  ) {}

  get size(): number {
    return this.weight;
  }

  get empty(): boolean {
    return this.head >= this.items.length;
  }

  /** The bytes the queued items came in. */
  get byteSize(): number {
    return this.bytes;
  }

  push(item: T, weight = 1, bytes = 0): void {
    this.items.push({ item, weight, bytes });
    this.weight += weight;
    this.bytes += bytes;
    if (!this.throttled && (this.weight >= this.high || this.bytes >= this.byteBound.high)) {
      this.throttled = true;
      this.onThrottle(true);
    }
    this.wake();
  }

  /** Makes the next take() throw: the producer side's errors reach the consumer side, never lost. */
  fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  /** The next item, or undefined after `timeoutMs` with nothing to take. */
  async take(timeoutMs: number): Promise<T | undefined> {
    if (this.failure) throw this.failure;
    if (this.empty) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.waiter = undefined; resolve(); }, timeoutMs);
        this.waiter = () => { clearTimeout(timer); resolve(); };
      });
      if (this.failure) throw this.failure;
      if (this.empty) return undefined;
    }
    const { item, weight, bytes } = this.items[this.head]!;
    this.items[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.weight -= weight;
    this.bytes -= bytes;
    if (this.throttled && this.weight <= this.low && this.bytes <= this.byteBound.low) {
      this.throttled = false;
      this.onThrottle(false);
    }
    return item;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
