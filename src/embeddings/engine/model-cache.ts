/**
 * Loaded models by key, bounded by the bytes their tensors hold: the least recently used one is
 * unloaded (its tensors disposed) when a new one would pass the budget. Concurrent first requests
 * for one key share a single load (single flight); a failed load is not remembered. A model in use
 * (pinned by `use`) is never unloaded under its caller: the cache runs over budget instead, until
 * it is released and a later load evicts it. Framework-free: the Nest provider wraps it.
 */
export interface CachedModel {
  readonly byteSize: number;
  dispose(): void;
}

export interface CacheEvents {
  hit(): void;
  miss(): void;
  evicted(key: string): void;
  /** Bytes and count of the models now loaded. */
  size(bytes: number, models: number): void;
}

interface Entry<M> {
  readonly model: M;
  pins: number;
  /** Dropped from the cache while pinned: disposed when the last pin goes. */
  evicted: boolean;
}

const noEvents: CacheEvents = { hit: () => {}, miss: () => {}, evicted: () => {}, size: () => {} };

export class ModelCache<M extends CachedModel> {
  /** Insertion order is recency order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry<M>>();
  private readonly loading = new Map<string, Promise<Entry<M>>>();
  private bytes = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly events: CacheEvents = noEvents,
  ) {}

  get loadedBytes(): number {
    return this.bytes;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Runs `fn` with the model for `key` (loading it with `load` if needed), pinned meanwhile. */
  async use<T>(key: string, load: () => Promise<M>, fn: (model: M) => T | Promise<T>): Promise<T> {
    const entry = await this.acquire(key, load);
    entry.pins += 1;
    try {
      return await fn(entry.model);
    } finally {
      entry.pins -= 1;
      if (entry.evicted && entry.pins === 0) entry.model.dispose();
    }
  }

  /** Unloads one model now (e.g. its encoder was deleted); a model in use is disposed once released. */
  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.remove(key, entry);
  }

  /** Unloads everything (shutdown). */
  clear(): void {
    for (const [key, entry] of [...this.entries]) this.remove(key, entry);
  }

  private async acquire(key: string, load: () => Promise<M>): Promise<Entry<M>> {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      this.events.hit();
      return cached;
    }
    const pending = this.loading.get(key);
    if (pending !== undefined) {
      this.events.hit();
      return pending;
    }
    this.events.miss();
    const started = this.load(key, load);
    this.loading.set(key, started);
    try {
      return await started;
    } finally {
      this.loading.delete(key);
    }
  }

  private async load(key: string, load: () => Promise<M>): Promise<Entry<M>> {
    const model = await load();
    const entry: Entry<M> = { model, pins: 0, evicted: false };
    this.entries.set(key, entry);
    this.bytes += model.byteSize;
    this.evictOver(key);
    this.events.size(this.bytes, this.entries.size);
    return entry;
  }

  /** Least recently used first; never the one just loaded, nor one in use (the next load retries). */
  private evictOver(keep: string): void {
    for (const [key, entry] of [...this.entries]) {
      if (this.bytes <= this.budgetBytes) return;
      if (key !== keep && entry.pins === 0) this.remove(key, entry);
    }
  }

  private remove(key: string, entry: Entry<M>): void {
    this.entries.delete(key);
    this.bytes -= entry.model.byteSize;
    entry.evicted = true;
    if (entry.pins === 0) entry.model.dispose();
    this.events.evicted(key);
    this.events.size(this.bytes, this.entries.size);
  }
}
