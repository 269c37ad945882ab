import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The filesystem store signs its URLs with a key that must survive restarts (links stay valid)
 * and be shared by the server and its workers: one file in the state folder.
 */
export async function storageSigningKey(stateDir: string): Promise<Buffer> {
  const file = path.join(stateDir, 'storage-signing-key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  } catch {
    const key = randomBytes(32);
    try {
      await writeFile(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
      return key;
    } catch {
      // Another process wrote it first: use theirs.
      return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
    }
  }
}
