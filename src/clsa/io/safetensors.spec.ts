import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

describe('safetensors', () => {
  it('writes the documented layout: u64 header length, JSON header, 8-byte aligned data', () => {
    const bytes = encodeSafetensors(new Map([['w', { shape: [2], data: new Float32Array([1.5, -2]) }]]), {
      format: 'test',
    });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Record<string, unknown>;
    expect(header).toEqual({ __metadata__: { format: 'test' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    expect(bytes.readFloatLE(8 + headerLength)).toBe(1.5);
    expect(bytes.readFloatLE(8 + headerLength + 4)).toBe(-2);
  });

  it('round-trips tensors bit-exactly, in order, with metadata', () => {
    const tensors = new Map([
      ['a.weight', { shape: [2, 3], data: new Float32Array([0.1, 0.2, 0.3, -0, Number.NaN, 1e-30]) }],
      ['b', { shape: [1], data: new Float32Array([42]) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(tensors, { k: 'v' }));
    expect([...back.tensors.keys()]).toEqual(['a.weight', 'b']);
    expect(back.metadata).toEqual({ k: 'v' });
    expect(Buffer.from(back.tensors.get('a.weight')!.data.buffer)).toEqual(
      Buffer.from(tensors.get('a.weight')!.data.buffer),
    );
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeSafetensors(new Map([['x', { shape: [3], data: new Float32Array(2) }]]))).toThrow(
      'tensor x has 2 values but shape [3]',
    );
  });

  it('refuses truncated files, oversized headers, foreign dtypes and ranges outside the file', () => {
    const good = encodeSafetensors(new Map([['x', { shape: [4], data: new Float32Array(4) }]]));
    expect(() => decodeSafetensors(good.subarray(0, 5), 'f')).toThrow('f is 5 bytes, too short');
    expect(() => decodeSafetensors(good.subarray(0, good.length - 4), 'f')).toThrow(/byte range/);
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(1n << 40n, 0);
    expect(() => decodeSafetensors(huge, 'f')).toThrow(/claims a \d+-byte header/);
    const header = Buffer.from(JSON.stringify({ x: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }));
    const foreign = Buffer.concat([Buffer.alloc(8), header, Buffer.alloc(2)]);
    foreign.writeBigUInt64LE(BigInt(header.length), 0);
    expect(() => decodeSafetensors(foreign, 'f')).toThrow('f: tensor x is F16; only F32 is supported');
    const garbage = Buffer.concat([Buffer.alloc(8), Buffer.from('{nope')]);
    garbage.writeBigUInt64LE(5n, 0);
    expect(() => decodeSafetensors(garbage, 'f')).toThrow(/unreadable header/);
  });
});
