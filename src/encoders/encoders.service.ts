import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/app-error.js';
import { isId } from '../common/ids.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { type EncoderRecord, EncodersRepository } from './encoders.repository.js';

const DOWNLOAD_URL_TTL_S = 3600;

@Injectable()
export class EncodersService {
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

  /** A short-lived link to the exported safetensors file. */
  async downloadUrl(teamId: string, id: string): Promise<string> {
    const encoder = await this.get(teamId, id);
    return this.store.presignGet(encoder.objectKey, DOWNLOAD_URL_TTL_S);
  }
}
