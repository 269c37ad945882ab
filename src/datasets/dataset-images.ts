import { Inject, Injectable } from '@nestjs/common';
import { buffer, text } from 'node:stream/consumers';
import { parseShardIndex, SHARD_INDEX_PATH, type ShardIndex } from '../clsa/data/shard-source.js';
import { AppError } from '../common/app-error.js';
import { isId } from '../common/ids.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { DatasetsRepository } from './datasets.repository.js';
import { scanTar, type TarMember } from './tar-scan.js';

/** A sample of a READY dataset: its key in the training shards (its place in stored order). */
export interface DatasetImageRef {
  readonly datasetId: string;
  readonly key: string;
}

/** One sample's stored bytes, as validation accepted them, and their media type. */
export interface DatasetImage {
  readonly bytes: Buffer;
  readonly contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** What is known of one shard: its image members found so far, and where the scan stopped. */
interface ShardMap {
  readonly images: Map<string, TarMember>;
  next: number;
  ended: boolean;
  /** Scans of one shard run one after another, each continuing where the last stopped. */
  scan: Promise<void>;
}

const IMAGE = /^(\d+)\.(jpg|jpeg|png|webp)$/;
const KEY = /^\d{1,12}$/;
const KEY_DIGITS = 9;
/** Shard maps and indexes kept; READY datasets never change, so nothing goes stale but deleted ones. */
const MAX_SHARDS = 256;
const MAX_INDEXES = 256;

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): V {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
  return value;
}

/**
 * One image of a dataset by key, without reading the dataset. Validation writes shards whose
 * members are named by the sample's sequence number, and an index of images per shard, so the key
 * names the shard. Inside it, the tar has no index: the first reference streams the shard's
 * headers from where the last scan stopped up to the wanted member (counting past contents) and
 * remembers every member's offset; any later reference to a sample already passed costs one ranged
 * read of exactly its bytes.
 */
@Injectable()
export class DatasetImages {
  private readonly indexes = new Map<string, Promise<ShardIndex>>();
  private readonly shards = new Map<string, ShardMap>();

  constructor(
    private readonly datasets: DatasetsRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  async read(teamId: string, ref: DatasetImageRef): Promise<Buffer> {
    return (await this.readImage(teamId, ref)).bytes;
  }

  /** The sample's bytes with their media type (from the member's stored extension). */
  async readImage(teamId: string, ref: DatasetImageRef): Promise<DatasetImage> {
    const dataset = isId(ref.datasetId) ? await this.datasets.findOwn(teamId, ref.datasetId) : null;
    if (dataset === null) throw new AppError('NOT_FOUND', `Dataset ${ref.datasetId} does not exist`, 'datasetId');
    if (dataset.status !== 'READY') {
      throw new AppError('PRECONDITION_FAILED', `Dataset ${dataset.id} is ${dataset.status}, not READY`, 'datasetId');
    }
    const position = KEY.test(ref.key) ? Number(ref.key) : NaN;
    if (!Number.isSafeInteger(position))
      throw new AppError('VALIDATION_FAILED', 'key must be a sample key such as 000000042', 'key');
    const index = await this.index(dataset.id, dataset.objectPrefix);
    const shard = this.shardOf(index, position);
    if (shard === undefined) throw notFoundKey(ref, index.imageCount);
    const member = await this.locate(`${dataset.objectPrefix}${shard}`, String(position).padStart(KEY_DIGITS, '0'));
    if (member === undefined) throw notFoundKey(ref, index.imageCount);
    const stream = await this.store.get(`${dataset.objectPrefix}${shard}`, {
      start: member.offset,
      end: member.offset + member.size - 1,
    });
    const extension = IMAGE.exec(member.name)?.[2] ?? '';
    return { bytes: await buffer(stream), contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream' };
  }

  private index(datasetId: string, prefix: string): Promise<ShardIndex> {
    const cached = this.indexes.get(datasetId);
    if (cached !== undefined) return cached;
    const loading = this.store
      .get(`${prefix}${SHARD_INDEX_PATH}`)
      .then(text)
      .then((body) => parseShardIndex(JSON.parse(body)));
    loading.catch(() => this.indexes.delete(datasetId));
    return remember(this.indexes, datasetId, loading, MAX_INDEXES);
  }

  private shardOf(index: ShardIndex, position: number): string | undefined {
    let first = 0;
    for (const shard of index.shards) {
      if (position < first + shard.imageCount) return shard.name;
      first += shard.imageCount;
    }
    return undefined;
  }

  private async locate(shardKey: string, key: string): Promise<TarMember | undefined> {
    const map =
      this.shards.get(shardKey) ??
      remember(
        this.shards,
        shardKey,
        { images: new Map(), next: 0, ended: false, scan: Promise.resolve() },
        MAX_SHARDS,
      );
    const found = map.images.get(key);
    if (found !== undefined || map.ended) return found;
    const scanned = map.scan.then(() => this.scanTo(shardKey, map, key));
    map.scan = scanned.catch(() => undefined);
    await scanned;
    return map.images.get(key);
  }

  private async scanTo(shardKey: string, map: ShardMap, key: string): Promise<void> {
    if (map.images.has(key) || map.ended) return;
    const stream = await this.store.get(shardKey, { start: map.next });
    const { next, ended } = await scanTar(stream, map.next, (member) => {
      const image = IMAGE.exec(member.name);
      if (image !== null) map.images.set(image[1] as string, member);
      return image?.[1] === key;
    });
    map.next = next;
    map.ended = ended;
  }
}

function notFoundKey(ref: DatasetImageRef, count: number): AppError {
  return new AppError('NOT_FOUND', `Dataset ${ref.datasetId} has no image ${ref.key} (keys 0 to ${count - 1})`, 'key');
}
