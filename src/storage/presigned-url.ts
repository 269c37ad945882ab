import { createHmac, timingSafeEqual } from 'node:crypto';
import { PresignedUrlError } from './object-store.js';

export type PresignedOp = 'get' | 'put';

/** Where the HTTP layer mounts the filesystem store's presigned URLs. */
export const PRESIGNED_PATH = '/v1/storage/objects/';

/**
 * Signs and checks the filesystem store's presigned URLs:
 * `<base>/v1/storage/objects/<key>?op=get|put&expires=<unix s>&signature=<hex HMAC-SHA256 of "op\nkey\nexpires">`.
 * The signature covers the operation, so a download link cannot be turned into an upload.
 */
export class PresignedUrlSigner {
  constructor(
    private readonly signingKey: Buffer,
    /** Read at signing time: the server's address may be known only once it listens. */
    private readonly publicBaseUrl: () => string,
  ) {
    if (signingKey.length < 16) throw new Error('Presigned URLs need a signing key of at least 16 bytes');
  }

  url(op: PresignedOp, key: string, expiresInSeconds: number): string {
    const expires = String(Math.floor(Date.now() / 1000) + Math.max(1, Math.floor(expiresInSeconds)));
    const query = new URLSearchParams({ op, expires, signature: this.sign(op, key, expires) });
    const base = this.publicBaseUrl().replace(/\/+$/, '');
    return `${base}${PRESIGNED_PATH}${key.split('/').map(encodeURIComponent).join('/')}?${query.toString()}`;
  }

  /** Throws PresignedUrlError unless the URL was signed with our key for this op and key and is unexpired. */
  verify(op: string, key: string, expires: string | undefined, signature: string | undefined): void {
    if (op !== 'get' && op !== 'put') throw invalid('The URL must name op=get or op=put');
    if (expires === undefined || !/^\d{1,12}$/.test(expires)) throw invalid('The URL lacks a valid expires parameter');
    if (signature === undefined || !/^[0-9a-f]{64}$/.test(signature)) {
      throw invalid('The URL lacks a valid signature parameter');
    }
    const expected = Buffer.from(this.sign(op, key, expires), 'hex');
    // Constant-time: a byte-by-byte compare would let a caller find a valid signature by timing.
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw invalid('The URL signature does not match: it was altered or signed for another object or operation');
    }
    if (Date.now() / 1000 > Number(expires)) {
      const at = new Date(Number(expires) * 1000).toISOString();
      throw new PresignedUrlError('PRESIGNED_URL_EXPIRED', `The URL expired at ${at}; ask for a new one`);
    }
  }

  private sign(op: PresignedOp, key: string, expires: string): string {
    return createHmac('sha256', this.signingKey).update(`${op}\n${key}\n${expires}`).digest('hex');
  }
}

function invalid(message: string): PresignedUrlError {
  return new PresignedUrlError('PRESIGNED_URL_INVALID', message);
}
