import { describe, expect, it } from 'vitest';
import { ModelCache } from './model-cache.js';

class FakeModel {
  disposed = false;
  constructor(
    readonly name: string,
    readonly byteSize: number,
  ) {}
  dispose() {
    this.disposed = true;
  }
}

function counting() {
  const events = { hits: 0, misses: 0, evicted: [] as string[], bytes: 0 };
  return {
    events,
    sink: {
      hit: () => void events.hits++,
      miss: () => void events.misses++,
      evicted: (key: string) => void events.evicted.push(key),
      size: (bytes: number) => void (events.bytes = bytes),
    },
  };
}

const loader = (name: string, bytes: number, loads: string[]) => async () => {
  loads.push(name);
  await new Promise((r) => setTimeout(r, 5));
  return new FakeModel(name, bytes);
};

describe('ModelCache', () => {
  it('loads once for concurrent first requests (single flight) and counts hits and misses', async () => {
    const { events, sink } = counting();
    const cache = new ModelCache<FakeModel>(100, sink);
    const loads: string[] = [];
    const names = await Promise.all(
      Array.from({ length: 5 }, () => cache.use('a', loader('a', 10, loads), (m) => m.name)),
    );
    expect(names).toEqual(['a', 'a', 'a', 'a', 'a']);
    expect(loads).toEqual(['a']);
    expect(events).toMatchObject({ misses: 1, hits: 4, bytes: 10 });
  });

  it('evicts the least recently used models past its byte budget and disposes their tensors', async () => {
    const { events, sink } = counting();
    const cache = new ModelCache<FakeModel>(25, sink);
    const loads: string[] = [];
    const models = new Map<string, FakeModel>();
    const use = (name: string) => cache.use(name, loader(name, 10, loads), (m) => void models.set(name, m));
    await use('a');
    await use('b');
    await use('a'); // b is now the least recently used
    await use('c');
    expect(events.evicted).toEqual(['b']);
    expect(models.get('b')?.disposed).toBe(true);
    expect(models.get('a')?.disposed).toBe(false);
    expect(cache.loadedBytes).toBe(20);
    await use('b');
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
  });

  it('never disposes a model in use; a deleted one goes when released; failed loads are not kept', async () => {
    const cache = new ModelCache<FakeModel>(10);
    const loads: string[] = [];
    let inUse: FakeModel | undefined;
    let release = () => {};
    const held = cache.use('a', loader('a', 10, loads), async (m) => {
      inUse = m;
      await new Promise<void>((r) => (release = r));
    });
    await new Promise((r) => setTimeout(r, 20));
    await cache.use('b', loader('b', 10, loads), () => undefined);
    expect(inUse?.disposed).toBe(false);
    cache.delete('a');
    expect(inUse?.disposed).toBe(false);
    release();
    await held;
    expect(inUse?.disposed).toBe(true);
    const failing = cache.use(
      'x',
      () => Promise.reject(new Error('corrupt')),
      () => undefined,
    );
    await expect(failing).rejects.toThrow('corrupt');
    await cache.use('x', loader('x', 1, loads), () => undefined);
    expect(loads.at(-1)).toBe('x');
  });
});
