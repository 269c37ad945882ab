/**
 * The safetensors container (huggingface's format, read by PyTorch, JAX and many tools):
 * 8 bytes little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, an optional `__metadata__` map of strings, then the raw little-endian data.
 * We write float32 only; checkpoints and exported encoders both use it, so an encoder trained
 * here loads anywhere without a converter.
 */
import { open, readFile, rename, writeFile } from 'node:fs/promises';

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsContent {
  readonly tensors: Map<string, NamedTensor>;
  readonly metadata: Record<string, string>;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Headers above this are not ours (ours are a few kB per hundred tensors). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export function encodeSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const expected = tensor.shape.reduce((a, b) => a * b, 1);
    if (expected !== tensor.data.length) {
      throw new RangeError(`tensor ${name} has ${tensor.data.length} values but shape [${tensor.shape.join(', ')}]`);
    }
    header[name] = { dtype: 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  // The data must start 8-byte aligned; the format allows trailing spaces in the header for that.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const tensor of tensors.values()) {
    Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength).copy(out, at);
    at += tensor.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Buffer, source = 'safetensors data'): SafetensorsContent {
  if (bytes.length < 8) throw new Error(`${source} is ${bytes.length} bytes, too short for a safetensors header`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new Error(`${source} claims a ${headerLength}-byte header in a ${bytes.length}-byte file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${source} has an unreadable header: ${(err as Error).message}`, { cause: err });
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, NamedTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as HeaderEntry;
    if (entry.dtype !== 'F32') throw new Error(`${source}: tensor ${name} is ${entry.dtype}; only F32 is supported`);
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end <= dataLength && end - begin === count * 4)) {
      throw new Error(
        `${source}: tensor ${name} has byte range [${begin}, ${end}) that does not fit its shape or the file`,
      );
    }
    // Copy out: the file's data section need not be 4-byte aligned in the Buffer pool.
    const data = new Float32Array(count);
    Buffer.from(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape: entry.shape, data });
  }
  return { tensors, metadata };
}

/** Writes next to the target and renames, so a crash never leaves half a file under the real name. */
export async function writeSafetensorsFile(
  file: string,
  tensors: Map<string, NamedTensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const temporary = `${file}.partial-${process.pid}`;
  await writeFile(temporary, encodeSafetensors(tensors, metadata));
  const handle = await open(temporary, 'r');
  await handle.sync();
  await handle.close();
  await rename(temporary, file);
}

export async function readSafetensorsFile(file: string): Promise<SafetensorsContent> {
  return decodeSafetensors(await readFile(file), file);
}
