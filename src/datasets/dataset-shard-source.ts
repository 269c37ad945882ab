/**
 * A READY dataset's training shards as the CLSA engine reads them (`ShardSource`), streamed
 * straight from the object store: the index in one read, each shard as one GET stream, nothing
 * staged on local disk. The engine never sees the store, the team or the prefix.
 */
import { text } from 'node:stream/consumers';
import { parseShardIndex, SHARD_INDEX_PATH, type ShardSource } from '../clsa/data/shard-source.js';
import type { ObjectStore } from '../storage/object-store.js';

/** Shard names come from the index; anything but `shards/<file>.tar` would reach outside the dataset. */
const SHARD_NAME = /^shards\/[A-Za-z0-9._-]+\.tar$/;

export function datasetShardSource(store: ObjectStore, objectPrefix: string): ShardSource {
  return {
    async readIndex() {
      const body = await text(await store.get(`${objectPrefix}${SHARD_INDEX_PATH}`));
      return parseShardIndex(JSON.parse(body));
    },
    async openShard(name) {
      if (!SHARD_NAME.test(name) || name.includes('..')) {
        throw new Error(`shard name "${name}" is not of the form shards/<file>.tar`);
      }
      return store.get(`${objectPrefix}${name}`);
    },
  };
}
