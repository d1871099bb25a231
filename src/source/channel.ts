/**
 * The bounded hand-off between the binlog reader (which cannot block: zongji pushes) and the Kafka sink.
 * Weighted by changes; above `high` the reader is told to pause its connection, below `low` to resume.
 * Memory is bounded by `high` plus what was in flight on the socket when it paused.
 */
export class Channel<T> {
  private items: Array<{ item: T; weight: number }> = [];
  private head = 0;
  private weight = 0;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private throttled = false;

  constructor(
    private readonly high: number,
    private readonly low: number,
    private readonly onThrottle: (pause: boolean) => void,
  ) {}

  get size(): number {
    return this.weight;
  }

  get empty(): boolean {
    return this.head >= this.items.length;
  }

  push(item: T, weight = 1): void {
    this.items.push({ item, weight });
    this.weight += weight;
    if (!this.throttled && this.weight >= this.high) {
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
    const { item, weight } = this.items[this.head]!;
    this.items[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.weight -= weight;
    if (this.throttled && this.weight <= this.low) {
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
