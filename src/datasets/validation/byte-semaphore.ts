/**
 * Bounds the memory that decoded pixels take at once: each decode asks for its raw size and waits
 * (first come, first served) until that much is free. A request larger than the whole capacity is
 * granted the whole capacity, so it runs alone rather than never.
 */
export class ByteSemaphore {
  private available: number;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(private readonly capacity: number) {
    this.available = capacity;
  }

  async acquire(bytes: number): Promise<() => void> {
    const wanted = Math.min(bytes, this.capacity);
    if (this.waiting.length === 0 && wanted <= this.available) {
      this.available -= wanted;
    } else {
      await new Promise<void>((grant) => this.waiting.push({ bytes: wanted, grant }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.available += wanted;
      this.wakeWaiters();
    };
  }

  private wakeWaiters(): void {
    while (this.waiting.length > 0 && this.waiting[0]!.bytes <= this.available) {
      const next = this.waiting.shift()!;
      this.available -= next.bytes;
      next.grant();
    }
  }
}
