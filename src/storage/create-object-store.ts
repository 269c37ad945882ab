import type { AppConfig } from '../config/config.js';
import { FilesystemObjectStore } from './filesystem-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';

export interface FilesystemSigning {
  /** HMAC key for the filesystem store's presigned URLs (unused by S3, which signs with its credentials). */
  signingKey: Buffer;
  /** Base URL clients reach this server at; the HTTP layer serves /v1/storage/objects/* under it. */
  publicBaseUrl: () => string;
}

/**
 * Picks the driver from configuration. The S3 bucket is expected to exist (production buckets are
 * provisioned, and creating one needs rights an app key should not have); readiness reports it
 * through ping(). The filesystem store creates its folders here.
 */
export async function createObjectStore(
  storage: AppConfig['storage'],
  signing: FilesystemSigning,
): Promise<ObjectStore> {
  switch (storage.kind) {
    case 's3':
      return new S3ObjectStore(storage.s3);
    case 'filesystem': {
      const store = new FilesystemObjectStore({ root: storage.root, ...signing });
      await store.ping();
      return store;
    }
  }
}
