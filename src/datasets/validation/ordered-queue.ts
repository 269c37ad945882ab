/**
 * Runs work concurrently but hands results on strictly in submission order, so what comes out
 * (callbacks, shard bytes) is the same on every run whatever finishes first. `push` waits while
 * more than `limit` results are outstanding: that wait is the backpressure that bounds memory.
 */
export class OrderedQueue<T> {
  private readonly pending: Promise<T>[] = [];

  constructor(
    private readonly limit: number,
    private readonly consume: (result: T) => Promise<void>,
  ) {}

  async push(work: Promise<T>): Promise<void> {
    work.catch(() => undefined); // rejections surface when consumed, in order; never as unhandled
    this.pending.push(work);
    while (this.pending.length > this.limit) await this.consumeNext();
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0) await this.consumeNext();
  }

  private async consumeNext(): Promise<void> {
    const next = this.pending.shift();
    if (next !== undefined) await this.consume(await next);
  }
}
