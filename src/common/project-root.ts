import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder holding the project's package.json, found by walking up from this module. It works
 * from src/ (vitest, tsx) and from dist/src/ (compiled) alike, so runtime files such as
 * prisma/migrations are found whatever the working directory is.
 */
export function findProjectRoot(): string {
  if (cached !== undefined) return cached;
  const start = path.dirname(fileURLToPath(import.meta.url));
  let dir = start;
  // tsc copies package.json into dist/ when a module imports it; that copy is not the root.
  while (path.basename(dir) === 'dist' || !existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json in any folder above ${start}`);
    dir = parent;
  }
  cached = dir;
  return dir;
}
