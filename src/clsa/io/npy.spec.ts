import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpyMatrixWriter, npyHeader, shapeLiteral } from './npy.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-npy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The header dict as text, read the way numpy does: length from bytes 8–9, dict after byte 10. */
function headerText(header: Buffer): string {
  const length = header.readUInt16LE(8);
  expect(10 + length).toBe(header.length);
  return header.subarray(10, 10 + length).toString('latin1');
}

describe('npy header', () => {
  it('writes the v1.0 magic, version and the exact dict numpy writes, padded to a multiple of 64 bytes and ending in \\n', () => {
    const header = npyHeader([3, 4]);
    expect([...header.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    // numpy's own 2-D float32 headers are 128 bytes too: 10 + the 59-byte dict + 58 spaces + "\n".
    expect(header.length).toBe(128);
    const text = headerText(header);
    expect(text).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }${' '.repeat(58)}\n`);
  });

  it('formats shapes as Python tuples: one row, one dimension, none, and row counts past 2^32', () => {
    expect(shapeLiteral([1, 512])).toBe('(1, 512)');
    expect(shapeLiteral([5])).toBe('(5,)');
    expect(shapeLiteral([])).toBe('()');
    expect(shapeLiteral([0, 2048])).toBe('(0, 2048)');
    expect(shapeLiteral([2 ** 40, 2048])).toBe('(1099511627776, 2048)');
    expect(shapeLiteral([Number.MAX_SAFE_INTEGER, 1])).toBe('(9007199254740991, 1)');
    expect(headerText(npyHeader([1, 512]))).toMatch(
      /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(1, 512\), \} *\n$/,
    );
    expect(headerText(npyHeader([2 ** 40, 2048]))).toContain("'shape': (1099511627776, 2048), }");
  });

  it('always starts the data at a multiple of 64 with the least padding, across boundaries', () => {
    const lengths = new Set<number>();
    for (let dims = 0; dims <= 8; dims++) {
      for (const value of [1, 1234, 2 ** 40 + 3]) {
        const header = npyHeader(Array.from({ length: dims }, () => value));
        expect(header.length % 64).toBe(0);
        expect(header.at(-1)).toBe(0x0a);
        const text = headerText(header);
        const filler = text.length - text.trimEnd().length;
        expect(filler).toBeGreaterThanOrEqual(1);
        expect(filler).toBeLessThanOrEqual(64);
        lengths.add(header.length);
      }
    }
    expect([...lengths].sort((a, b) => a - b)).toEqual([128, 192]);
  });

  it('refuses shapes numpy could not mean', () => {
    expect(() => shapeLiteral([-1, 3])).toThrow(/whole numbers/);
    expect(() => shapeLiteral([1.5, 3])).toThrow(/whole numbers/);
    expect(() => shapeLiteral([2 ** 53, 3])).toThrow(/whole numbers/);
  });
});

describe('NpyMatrixWriter', () => {
  it('writes the header, then the rows appended batch by batch as little-endian float32', async () => {
    const file = path.join(dir, 'm.npy');
    const writer = await NpyMatrixWriter.create(file, 3, 2);
    await writer.append(Float32Array.of(1, -2));
    await writer.append(Float32Array.of(0.5, 3e38, -0, Math.PI));
    expect(writer.rowsWritten).toBe(3);
    await writer.close();
    const bytes = await readFile(file);
    expect(bytes.length).toBe(128 + 3 * 2 * 4);
    expect(bytes.subarray(0, 128).equals(npyHeader([3, 2]))).toBe(true);
    const values = [0, 1, 2, 3, 4, 5].map((i) => bytes.readFloatLE(128 + 4 * i));
    expect(values).toEqual([1, -2, 0.5, Math.fround(3e38), -0, Math.fround(Math.PI)]);
  });

  it('writes an empty matrix as a header only', async () => {
    const file = path.join(dir, 'empty.npy');
    const writer = await NpyMatrixWriter.create(file, 0, 8);
    await writer.append(new Float32Array(0));
    await writer.close();
    expect((await stat(file)).size).toBe(128);
  });

  it('refuses partial rows, more rows than declared, and closing short', async () => {
    const file = path.join(dir, 'bad.npy');
    await expect(NpyMatrixWriter.create(file, 1, 0)).rejects.toThrow(/at least one column/);
    const writer = await NpyMatrixWriter.create(file, 2, 3);
    await expect(writer.append(new Float32Array(4))).rejects.toThrow(/not whole rows of 3/);
    await writer.append(new Float32Array(3));
    await expect(writer.append(new Float32Array(6))).rejects.toThrow(/3 rows would exceed the 2/);
    await expect(writer.close()).rejects.toThrow(/1 of the 2 declared rows/);
  });
});
