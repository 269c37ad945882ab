import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/app-error.js';
import { isId } from '../common/ids.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { type EncoderRecord, EncodersRepository } from './encoders.repository.js';

const DOWNLOAD_URL_TTL_S = 3600;

@Injectable()
export class EncodersService {
  /** Told of each deleted encoder (the embeddings engine unloads it), without encoders depending on them. */
  private readonly deletedListeners: ((id: string) => void)[] = [];

  constructor(
    private readonly encoders: EncodersRepository,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  async get(teamId: string, id: string): Promise<EncoderRecord> {
    const encoder = isId(id) ? await this.encoders.findOwn(teamId, id) : null;
    if (encoder === null) throw notFound('Encoder', id);
    return encoder;
  }

  list(teamId: string, filter: { jobId?: string | undefined; cursor?: string | undefined; limit: number }) {
    return this.encoders.list(teamId, filter);
  }

  /** Removes the encoder, its evaluations and its file; the id then answers NOT_FOUND everywhere. */
  async delete(teamId: string, id: string): Promise<void> {
    const encoder = await this.get(teamId, id);
    if (!(await this.encoders.deleteOwn(teamId, encoder.id))) throw notFound('Encoder', id);
    for (const listener of this.deletedListeners) listener(encoder.id);
    await this.store.delete(encoder.objectKey);
  }

  onDeleted(listener: (id: string) => void): void {
    this.deletedListeners.push(listener);
  }

  /** A short-lived link to the exported safetensors file. */
  async downloadUrl(teamId: string, id: string): Promise<string> {
    const encoder = await this.get(teamId, id);
    return this.store.presignGet(encoder.objectKey, DOWNLOAD_URL_TTL_S);
  }
}
