import { type EmbedItem, type EmbedResult, isFailed } from './embedding-items.js';
import type { OutputFormat } from './embeddings.dto.js';

/** Little-endian float32 bytes of a vector (a copy where the machine is big-endian). */
export function float32Le(values: Float32Array): Buffer {
  const view = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return view;
  const out = Buffer.alloc(values.byteLength);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

function itemView(item: EmbedItem, format: OutputFormat) {
  if (isFailed(item)) return { index: item.index, error: item.error };
  return format === 'base64'
    ? { index: item.index, embeddingBase64: float32Le(item.vector).toString('base64') }
    : { index: item.index, embedding: Array.from(item.vector) };
}

/** The JSON answer: every input in order, each with its embedding or its own error. */
export function embeddingsView(result: EmbedResult, format: OutputFormat) {
  return {
    encoderId: result.encoderId,
    dim: result.dim,
    normalized: result.normalized,
    count: result.items.length,
    failed: result.items.filter(isFailed).length,
    embeddings: result.items.map((item) => itemView(item, format)),
  };
}

/**
 * The binary answer: count × dim little-endian float32, row i for input i; a failed input's row is
 * NaN and the `x-clsa-failed` header says which and why (`index:CODE`, comma-separated).
 */
export function embeddingsBinary(result: EmbedResult): { body: Buffer; headers: Record<string, string> } {
  const { dim, items } = result;
  const all = new Float32Array(items.length * dim);
  for (const item of items) {
    if (isFailed(item)) all.fill(Number.NaN, item.index * dim, (item.index + 1) * dim);
    else all.set(item.vector, item.index * dim);
  }
  const failed = items.filter(isFailed).map((item) => `${item.index}:${item.error.code}`);
  return {
    body: float32Le(all),
    headers: {
      'content-type': 'application/octet-stream',
      'x-clsa-shape': `${items.length},${dim}`,
      'x-clsa-dtype': 'float32-le',
      'x-clsa-normalized': String(result.normalized),
      'x-clsa-encoder-id': result.encoderId,
      ...(failed.length > 0 ? { 'x-clsa-failed': failed.join(',') } : {}),
    },
  };
}
