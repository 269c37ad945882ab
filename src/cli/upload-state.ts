import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a later run needs to pick up an interrupted upload of the same file. */
export interface UploadState {
  version: 1;
  baseUrl: string;
  datasetId: string;
  uploadId: string;
  filePath: string;
  sizeBytes: number;
  mtimeMs: number;
  sha256: string;
  partSizeBytes: number;
}

export interface FileIdentity {
  filePath: string;
  sizeBytes: number;
  mtimeMs: number;
}

/** One state file per archive path: `<stateDir>/.clsa-upload-<sha256 of the absolute path>.json`. */
export function statePath(stateDir: string, filePath: string): string {
  const key = createHash('sha256').update(path.resolve(filePath)).digest('hex').slice(0, 32);
  return path.join(stateDir, `.clsa-upload-${key}.json`);
}

export async function readState(stateDir: string, filePath: string): Promise<UploadState | null> {
  let text: string;
  try {
    text = await readFile(statePath(stateDir, filePath), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const state = JSON.parse(text) as Partial<UploadState>;
    return state.version === 1 && typeof state.uploadId === 'string' ? (state as UploadState) : null;
  } catch {
    return null; // A torn or foreign file: as if there were none.
  }
}

/** Written to a temporary name and renamed, so a crash never leaves half a file. */
export async function writeState(stateDir: string, state: UploadState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const target = statePath(stateDir, state.filePath);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, target);
}

export async function removeState(stateDir: string, filePath: string): Promise<void> {
  await rm(statePath(stateDir, filePath), { force: true });
}

/** The saved session is for this very file (same path, size and mtime) on this server. */
export function stateMatches(state: UploadState, file: FileIdentity, baseUrl: string): boolean {
  return (
    state.baseUrl === baseUrl &&
    path.resolve(state.filePath) === path.resolve(file.filePath) &&
    state.sizeBytes === file.sizeBytes &&
    state.mtimeMs === file.mtimeMs
  );
}
