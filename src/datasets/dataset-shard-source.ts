/**
 * A READY dataset's training shards as the CLSA engine reads them (`ShardSource`), streamed
 * straight from the object store: the index in one read, each shard as one GET stream, nothing
 * staged on local disk. The engine never sees the store, the team or the prefix. Workers pass
 * their `retry`, so each read rides out the store's hiccups like their other store calls.
 */
import { text } from 'node:stream/consumers';
import { parseShardIndex, SHARD_INDEX_PATH, type ShardSource } from '../clsa/data/shard-source.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { StoreRetry } from '../storage/store-retry.js';

/** Shard names come from the index; anything but `shards/<file>.tar` would reach outside the dataset. */
const SHARD_NAME = /^shards\/[A-Za-z0-9._-]+\.tar$/;

const once: StoreRetry = (_what, fn) => fn();

export function datasetShardSource(store: ObjectStore, objectPrefix: string, retry: StoreRetry = once): ShardSource {
  return {
    readIndex: () =>
      retry('read of the shard index', async () => {
        const body = await text(await store.get(`${objectPrefix}${SHARD_INDEX_PATH}`));
        return parseShardIndex(JSON.parse(body));
      }),
    openShard: (name) =>
      retry(`read of ${name}`, async () => {
        if (!SHARD_NAME.test(name) || name.includes('..')) {
          throw new Error(`shard name "${name}" is not of the form shards/<file>.tar`);
        }
        return store.get(`${objectPrefix}${name}`);
      }),
  };
}
