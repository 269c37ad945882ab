/**
 * NumPy `.npy` files (format version 1.0), written incrementally: the header first — the row
 * count is known up front — then rows appended as they are computed, so a matrix never has to be
 * in memory whole. `numpy.load(path)` reads the result as is.
 *
 * Layout (numpy/lib/format.py): the magic "\x93NUMPY", major 1, minor 0, a little-endian uint16
 * header length, then an ASCII Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }` padded with spaces and ended by
 * "\n" so that the data starts at a multiple of 64 bytes; then the values, C order, float32
 * little-endian.
 */
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** magic (6) + version (2) + header length (2). */
const PREAMBLE_BYTES = 10;
const ALIGNMENT = 64;
/** Version 1.0 stores the header length in two bytes. */
const MAX_HEADER_BYTES = 0xffff;

/** Python's repr of a tuple of ints: `()`, `(7,)`, `(3, 4)`. */
export function shapeLiteral(shape: readonly number[]): string {
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`npy shape entries are whole numbers ≥ 0, got ${n}`);
  }
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** The preamble and padded header of a float32, C-order array of `shape`; its length is a multiple of 64. */
export function npyHeader(shape: readonly number[]): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  // One byte at least for the closing "\n"; spaces fill up to the next multiple of 64.
  const total = Math.ceil((PREAMBLE_BYTES + dict.length + 1) / ALIGNMENT) * ALIGNMENT;
  const headerBytes = total - PREAMBLE_BYTES;
  if (headerBytes > MAX_HEADER_BYTES) throw new RangeError(`npy header of ${headerBytes} bytes needs format 2.0`);
  const out = Buffer.alloc(total, 0x20);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(headerBytes, 8);
  out.write(dict, PREAMBLE_BYTES, 'latin1');
  out[total - 1] = 0x0a;
  return out;
}

/** The bytes of `values` as little-endian float32, whatever the machine's byte order. */
function littleEndian(values: Float32Array): Buffer {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (os.endianness() === 'LE') return bytes;
  return Buffer.from(bytes).swap32();
}

/** A 2-D float32 `.npy` file of `rows × cols`, filled row batch by row batch. */
export class NpyMatrixWriter {
  private written = 0;

  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
    readonly rows: number,
    readonly cols: number,
  ) {}

  /** Creates (or truncates) `path` and writes the header. */
  static async create(path: string, rows: number, cols: number): Promise<NpyMatrixWriter> {
    if (!Number.isSafeInteger(cols) || cols < 1)
      throw new RangeError(`a matrix needs at least one column, got ${cols}`);
    const header = npyHeader([rows, cols]);
    const file = await open(path, 'w');
    try {
      await file.write(header);
    } catch (error) {
      await file.close();
      throw error;
    }
    return new NpyMatrixWriter(file, path, rows, cols);
  }

  get rowsWritten(): number {
    return this.written;
  }

  /** Appends whole rows (`values.length` a multiple of `cols`), refusing more than the header declares. */
  async append(values: Float32Array): Promise<void> {
    if (values.length % this.cols !== 0) {
      throw new RangeError(`${values.length} values are not whole rows of ${this.cols}`);
    }
    const count = values.length / this.cols;
    if (this.written + count > this.rows) {
      throw new RangeError(`${this.written + count} rows would exceed the ${this.rows} the header declares`);
    }
    if (values.length > 0) await this.file.write(littleEndian(values));
    this.written += count;
  }

  /** Closes the file; throws if fewer rows arrived than the header declares. */
  async close(): Promise<void> {
    await this.file.close();
    if (this.written !== this.rows) {
      throw new Error(`${this.path}: ${this.written} of the ${this.rows} declared rows were written`);
    }
  }

  /** Closes without checks (after a failure). */
  async abandon(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }
}
