/**
 * Retrying after a failure, the same way everywhere: a jittered exponential delay, and a sleep that a stop
 * request cuts short.
 */

/** 0.5 s doubling per attempt up to 30 s, ±25 % so restarted peers do not retry in step. */
export function backoffDelay(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.75 + Math.random() * 0.5);
}

/** Sleeps that end early when `wake()` is called (a stop requested meanwhile). */
export class Pause {
  private readonly wakers = new Set<() => void>();

  for(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  wake(): void {
    for (const done of [...this.wakers]) done();
  }
}
