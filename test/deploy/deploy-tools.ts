/**
 * Tools the deploy checks need and how to find them: helm (scripts/ci/install-helm.sh builds it
 * into the cache) and compose-config (deploy/tools/compose-config, compose-go built with the local
 * Go toolchain). Without them a developer's run skips those checks and says why; CI fails instead.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { isCI } from '../support/ci.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const chartDir = path.join(repoRoot, 'deploy/helm/clsa');

const cacheDir = process.env.CLSA_CACHE_DIR ?? path.join(os.homedir(), '.cache/clsa');

export interface Tool {
  bin: string | undefined;
  /** Why the tool is missing; undefined when found. */
  missing: string | undefined;
}

function run(bin: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

function works(bin: string, args: string[]): boolean {
  const result = run(bin, args);
  return result.error === undefined && result.status === 0;
}

/** HELM_BIN, then `helm` on PATH, then the newest build of scripts/ci/install-helm.sh in the cache. */
export function findHelm(): Tool {
  const candidates = [process.env.HELM_BIN, 'helm'];
  if (existsSync(cacheDir)) {
    for (const entry of readdirSync(cacheDir).sort().reverse()) {
      if (entry.startsWith('helm-')) candidates.push(path.join(cacheDir, entry, 'bin', 'helm'));
    }
  }
  for (const bin of candidates) {
    if (bin !== undefined && bin !== '' && works(bin, ['version', '--short'])) return { bin, missing: undefined };
  }
  return {
    bin: undefined,
    missing: `helm is neither on PATH nor in ${cacheDir}/helm-*/bin: run bash scripts/ci/install-helm.sh`,
  };
}

/**
 * Builds deploy/tools/compose-config with the local Go (cached by the hash of its sources), the
 * loader `docker compose config` uses, so the compose file is checked without Docker.
 */
export function findComposeConfig(): Tool {
  const go = ['go', '/usr/local/go/bin/go'].find((bin) => works(bin, ['version']));
  if (go === undefined) {
    return { bin: undefined, missing: 'no Go toolchain to build deploy/tools/compose-config (compose-go)' };
  }
  const sourceDir = path.join(repoRoot, 'deploy/tools/compose-config');
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(path.join(sourceDir, file)));
  const bin = path.join(cacheDir, `compose-config-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(bin)) {
    const built = run(go, ['build', '-trimpath', '-buildvcs=false', '-o', bin, '.'], { cwd: sourceDir });
    if (built.status !== 0) {
      throw new Error(`building deploy/tools/compose-config failed:\n${built.stderr}`);
    }
  }
  return { bin, missing: undefined };
}

export function runTool(
  tool: Tool,
  args: string[],
  env: Record<string, string | undefined> = {},
): SpawnSyncReturns<string> {
  if (tool.bin === undefined) throw new Error(tool.missing);
  return run(tool.bin, args, { cwd: repoRoot, env: { ...process.env, ...env } });
}

/** Says once, on the console, which checks a run skips and why. */
export function reportMissing(what: string, tool: Tool): void {
  if (tool.missing !== undefined && !isCI) console.warn(`[deploy checks] skipping ${what}: ${tool.missing}`);
}
