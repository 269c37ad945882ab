import { describe, expect, it } from 'vitest';
import { NpyError, parseNpy } from './npy';

/** A .npy as NumPy (and the export writer) lays it out: preamble, padded dict header, values. */
function npy(header: string, values: number[], { major = 1, align = 64 } = {}): ArrayBuffer {
  const preamble = major === 1 ? 10 : 12;
  const padded = header.padEnd(Math.ceil((preamble + header.length + 1) / align) * align - preamble - 1, ' ') + '\n';
  const bytes = new Uint8Array(preamble + padded.length + values.length * 4);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(bytes.buffer);
  if (major === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  bytes.set(new TextEncoder().encode(padded), preamble);
  values.forEach((v, i) => view.setFloat32(preamble + padded.length + i * 4, v, true));
  return bytes.buffer;
}

const dict = (shape: string, descr = '<f4', fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

describe('parseNpy', () => {
  it('reads a version 1.0 float32 (rows, dim) matrix in C order', () => {
    const parsed = parseNpy(npy(dict('(2, 3)'), [1, 2, 3, 4, 5, 6.5]));
    expect(parsed.rows).toBe(2);
    expect(parsed.dim).toBe(3);
    expect([...parsed.data]).toEqual([1, 2, 3, 4, 5, 6.5]);
  });

  it('copes with a header that leaves the data unaligned, version 2.0, and an empty matrix', () => {
    expect([...parseNpy(npy(dict('(1, 2)'), [0.25, -1], { align: 5 })).data]).toEqual([0.25, -1]);
    expect([...parseNpy(npy(dict('(1, 1)'), [7], { major: 2 })).data]).toEqual([7]);
    expect(parseNpy(npy(dict('(0, 512)'), []))).toMatchObject({ rows: 0, dim: 512 });
  });

  it('refuses what is not a little-endian float32 C-order matrix, naming why', () => {
    expect(() => parseNpy(new TextEncoder().encode('PK\u0003\u0004 not npy').buffer)).toThrow(/magic/);
    expect(() => parseNpy(npy(dict('(2, 2)', '<f8'), [1, 2, 3, 4]))).toThrow(/'<f8' is not '<f4'/);
    expect(() => parseNpy(npy(dict('(2, 2)', '<f4', 'True'), [1, 2, 3, 4]))).toThrow(/Fortran/);
    expect(() => parseNpy(npy(dict('(4,)'), [1, 2, 3, 4]))).toThrow(/not \(rows, dim\)/);
    expect(() => parseNpy(npy(dict('(2, 3)'), [1, 2, 3]))).toThrow(/24 expected/);
    expect(() => parseNpy(npy(dict('(1, 1)'), [1], { major: 4 }))).toThrow(NpyError);
  });
});
