/**
 * What the export tests need besides the app: an encoder registered without training one (a
 * seeded random backbone written as a real encoder file and Encoder row), an independent .npy
 * reader, and numpy itself when this machine has it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeEncoderFile } from '../../src/clsa/io/encoder-file.js';
import { createEncoder, type Encoder } from '../../src/clsa/model/index.js';
import { newId } from '../../src/common/ids.js';
import type { TestApp } from '../support/app.js';

export const TRANSFORM = { inputSize: 16, mean: [0.5, 0.45, 0.4], std: [0.25, 0.2, 0.3] } as const;

/** A 4-wide ResNet-18 (32-d features) in the store and the database; `objectKey` overrides where its row points. */
export async function registerEncoder(
  app: TestApp,
  teamId: string,
  seed = 3,
  objectKey?: string,
): Promise<{ id: string; encoder: Encoder }> {
  const encoder = createEncoder(
    { architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 8 },
    seed,
  );
  const id = newId();
  const key = `teams/${teamId}/encoders/${id}/encoder.safetensors`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-export-encoder-'));
  try {
    const file = path.join(dir, 'encoder.safetensors');
    const info = await writeEncoderFile(file, encoder, { ...TRANSFORM, provenance: { test: 'exports' } });
    const bytes = await readFile(file);
    await app.infra.objectStore.put(key, bytes);
    await app.infra.prisma.encoder.create({
      data: {
        id,
        teamId,
        name: `random-${seed}`,
        architecture: info.architecture.architecture,
        embeddingDim: info.embeddingDim,
        inputSize: info.inputSize,
        normalisation: { mean: [...TRANSFORM.mean], std: [...TRANSFORM.std] },
        lineage: { test: true },
        objectKey: objectKey ?? key,
        sizeBytes: BigInt(bytes.length),
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { id, encoder };
}

export interface ParsedNpy {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
  data: Float32Array;
}

/** Reads a .npy v1.0 by the format's description (numpy/lib/format.py), not by our writer. */
export function parseNpy(bytes: Buffer): ParsedNpy {
  const magic = Buffer.from([0x93, ...Buffer.from('NUMPY')]);
  if (!bytes.subarray(0, 6).equals(magic)) throw new Error('not an .npy file: bad magic');
  if (bytes[6] !== 1 || bytes[7] !== 0) throw new Error(`format version ${bytes[6]}.${bytes[7]}, expected 1.0`);
  const headerLength = bytes.readUInt16LE(8);
  const dataOffset = 10 + headerLength;
  const header = bytes.subarray(10, dataOffset).toString('latin1');
  if (!header.endsWith('\n')) throw new Error('header does not end with a newline');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`bad header ${header}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (descr !== '<f4') throw new Error(`dtype ${descr}, expected <f4`);
  if (bytes.length !== dataOffset + count * 4) throw new Error(`${bytes.length} bytes for ${count} float32 values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, count * 4);
  const data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset, data };
}

/** The first Python that imports numpy: BENCH_PYTHON if set, `python3` on PATH, then Debian's own. */
function pythonWithNumpy(): string | null {
  const candidates = [process.env['BENCH_PYTHON'], 'python3', '/usr/bin/python3'].filter((c) => c !== undefined);
  return candidates.find((c) => spawnSync(c, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0) ?? null;
}

/** numpy.load's view of a file: dtype, shape and the float64 sum; `missing` says why where no Python has numpy. */
export function numpyLoad(
  file: string,
): { python: string; dtype: string; shape: number[]; sum: number } | { missing: string } {
  const python = pythonWithNumpy();
  if (python === null) return { missing: 'no python3 here imports numpy (set BENCH_PYTHON to one that does)' };
  const script = [
    'import json, sys, numpy',
    'a = numpy.load(sys.argv[1])',
    'print(json.dumps({"dtype": str(a.dtype), "shape": list(a.shape), "sum": float(a.astype("float64").sum())}))',
  ].join('\n');
  const run = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`numpy.load (${python}) failed: ${run.stderr}`);
  return { python, ...(JSON.parse(run.stdout) as { dtype: string; shape: number[]; sum: number }) };
}
