/**
 * Reads the `.npy` files embedding exports write: NumPy format 1.0 (2.0 and 3.0 only widen the
 * header length), a little-endian float32 (`'<f4'`) matrix in C order of shape (rows, dim).
 */

export interface NpyMatrix {
  readonly rows: number;
  readonly dim: number;
  /** rows × dim values, row after row. */
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export class NpyError extends Error {
  constructor(message: string) {
    super(`Not a float32 matrix .npy: ${message}`);
    this.name = 'NpyError';
  }
}

function headerOf(bytes: Uint8Array): { text: string; dataOffset: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError('no \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    const length = view.getUint16(8, true);
    return { text: new TextDecoder('latin1').decode(bytes.subarray(10, 10 + length)), dataOffset: 10 + length };
  }
  if ((major === 2 || major === 3) && bytes.length >= 12) {
    const length = view.getUint32(8, true);
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(12, 12 + length)), dataOffset: 12 + length };
  }
  throw new NpyError(`format version ${major ?? '?'}.${bytes[7] ?? '?'} is not supported`);
}

/** Parses the whole file; the values are copied only when the data does not start 4-byte aligned. */
export function parseNpy(buffer: ArrayBuffer): NpyMatrix {
  const bytes = new Uint8Array(buffer);
  const { text, dataOffset } = headerOf(bytes);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  if (descr !== '<f4') throw new NpyError(`dtype '${descr ?? ''}' is not '<f4'`);
  if (!/'fortran_order'\s*:\s*False/.test(text)) throw new NpyError('Fortran order is not supported');
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  const shape = (shapeText ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const [rows, dim] = shape;
  if (shape.length !== 2 || rows === undefined || dim === undefined || !shape.every(Number.isSafeInteger)) {
    throw new NpyError(`shape (${shapeText ?? ''}) is not (rows, dim)`);
  }
  const count = rows * dim;
  if (bytes.length - dataOffset < count * 4) {
    throw new NpyError(`${bytes.length - dataOffset} data bytes, ${count * 4} expected for (${rows}, ${dim})`);
  }
  const data =
    dataOffset % 4 === 0
      ? new Float32Array(buffer, dataOffset, count)
      : new Float32Array(buffer.slice(dataOffset, dataOffset + count * 4));
  return { rows, dim, data };
}
