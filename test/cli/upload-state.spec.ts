import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readState,
  removeState,
  stateMatches,
  statePath,
  writeState,
  type UploadState,
} from '../../src/cli/upload-state.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-cli-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const state = (): UploadState => ({
  version: 1,
  baseUrl: 'http://127.0.0.1:8080',
  datasetId: '0190a1b2-0000-7000-8000-000000000001',
  uploadId: '0190a1b2-0000-7000-8000-000000000002',
  filePath: '/data/images.tar',
  sizeBytes: 12_582_912,
  mtimeMs: 1_764_000_000_123.5,
  sha256: 'a'.repeat(64),
  partSizeBytes: 5_242_880,
});

describe('upload state file', () => {
  it('round-trips through a file named after the archive path, and is removed', async () => {
    const saved = state();
    await writeState(path.join(dir, 'nested'), saved);
    expect(await readState(path.join(dir, 'nested'), '/data/images.tar')).toEqual(saved);
    expect(path.basename(statePath(dir, '/data/images.tar'))).toMatch(/^\.clsa-upload-[0-9a-f]{32}\.json$/);
    expect(await readdir(path.join(dir, 'nested'))).toHaveLength(1); // no temporary left behind
    await removeState(path.join(dir, 'nested'), '/data/images.tar');
    expect(await readState(path.join(dir, 'nested'), '/data/images.tar')).toBeNull();
  });

  it('keeps one file per archive path', async () => {
    await writeState(dir, state());
    await writeState(dir, { ...state(), filePath: '/data/other.tar', uploadId: 'other' });
    expect((await readState(dir, '/data/images.tar'))?.uploadId).toBe(state().uploadId);
    expect((await readState(dir, '/data/other.tar'))?.uploadId).toBe('other');
  });

  it('reads a missing or torn file as no state', async () => {
    expect(await readState(dir, '/data/none.tar')).toBeNull();
    await writeFile(statePath(dir, '/data/images.tar'), '{"version":1,"uploa');
    expect(await readState(dir, '/data/images.tar')).toBeNull();
  });

  it('matches only the same file (path, size, mtime) on the same server', () => {
    const saved = state();
    const file = { filePath: '/data/images.tar', sizeBytes: saved.sizeBytes, mtimeMs: saved.mtimeMs };
    expect(stateMatches(saved, file, saved.baseUrl)).toBe(true);
    expect(stateMatches(saved, { ...file, sizeBytes: 1 }, saved.baseUrl)).toBe(false);
    expect(stateMatches(saved, { ...file, mtimeMs: saved.mtimeMs + 1 }, saved.baseUrl)).toBe(false);
    expect(stateMatches(saved, file, 'http://other:8080')).toBe(false);
  });
});
