/* eslint-disable @typescript-eslint/no-explicit-any -- the compose model is walked as plain data */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isCI } from '../support/ci.js';
import { findComposeConfig, reportMissing, repoRoot, runTool } from './deploy-tools.js';
import { parseDockerfile } from './dockerfile-rules.js';

/**
 * deploy/compose.yaml: its structure read with `yaml`, and (where Go is available) loaded by
 * compose-go exactly as `docker compose config` loads it: schema, interpolation, profiles.
 */
const composeFile = path.join(repoRoot, 'deploy/compose.yaml');
const composeText = readFileSync(composeFile, 'utf8');
const ADMIN_TOKEN = 'a'.repeat(40);

/** Compose's `${VAR:-default}` and `${VAR:?message}` with an environment, as compose resolves them. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (op === '?') throw new Error(`required variable ${name} is missing a value: ${arg ?? ''}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

const model = (env: Record<string, string> = { ADMIN_TOKEN }) =>
  parse(interpolate(composeText, env), { merge: true }) as { services: Record<string, any>; configs: any };

function seconds(duration: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (match === null || duration === '') throw new Error(`not a duration: ${duration}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

describe('deploy/compose.yaml', () => {
  const { services, configs } = model();

  it('has the database, the store and its bucket, the API and the workers', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 's3-init', 'seaweedfs', 'worker', 'worker-gpu']);
  });

  it('starts in order: the bucket after the store, the API after both, workers after the API', () => {
    expect(services['s3-init'].depends_on).toEqual({ seaweedfs: { condition: 'service_healthy' } });
    expect(services.api.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      's3-init': { condition: 'service_completed_successfully' },
    });
    // Workers do not migrate: the API has applied the migrations once it is healthy.
    expect(services.worker.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    expect(services['worker-gpu'].depends_on).toEqual({ api: { condition: 'service_healthy' } });
  });

  it('every long-running service has a health check and a restart policy', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 's3-init') continue;
      expect(service.healthcheck?.test?.[0], name).toBe('CMD');
      expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('only the GPU worker sits behind the gpu profile, and it reserves an NVIDIA GPU', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.profiles, name).toEqual(name === 'worker-gpu' ? ['gpu'] : undefined);
    }
    expect(services['worker-gpu'].deploy.resources.reservations.devices).toEqual([
      { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
    ]);
    expect(services['worker-gpu'].environment).toMatchObject({
      WORKER_ACCELERATOR: 'GPU',
      TENSOR_BACKEND: 'tensorflow',
    });
    expect(services.worker.environment).toMatchObject({ WORKER_ACCELERATOR: 'CPU' });
  });

  it('builds each service from a stage of deploy/docker/Dockerfile', () => {
    const stages = new Set(
      parseDockerfile(readFileSync(path.join(repoRoot, 'deploy/docker/Dockerfile'), 'utf8')).stages.map((s) => s.name),
    );
    for (const name of ['s3-init', 'api', 'worker', 'worker-gpu']) {
      const { build } = services[name];
      expect(path.resolve(repoRoot, 'deploy', build.context), name).toBe(repoRoot);
      expect(build.dockerfile, name).toBe('deploy/docker/Dockerfile');
      expect(stages.has(build.target), `${name}: stage ${build.target}`).toBe(true);
    }
  });

  it('the API and the workers share one database and one store, whose S3 identity has their keys', () => {
    const shared = ['DATABASE_URL', 'S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET', 'JOB_LEASE_SECONDS'];
    for (const key of shared) {
      const values = new Set(
        ['api', 'worker', 'worker-gpu', 's3-init'].map((name): unknown => services[name].environment[key]),
      );
      expect(values.size, key).toBe(1);
    }
    const identity = JSON.parse(configs['seaweedfs-s3'].content).identities[0].credentials[0];
    expect(identity).toEqual({
      accessKey: services.api.environment.S3_ACCESS_KEY,
      secretKey: services.api.environment.S3_SECRET_KEY,
    });
    expect(services.api.environment.EMBEDDED_WORKERS).toBe('0');
  });

  it('gives workers time to checkpoint on stop and pins every pulled image', () => {
    const lease = Number(services.worker.environment.JOB_LEASE_SECONDS);
    expect(seconds(services.worker.stop_grace_period)).toBeGreaterThanOrEqual(lease + 30);
    expect(seconds(services['worker-gpu'].stop_grace_period)).toBeGreaterThanOrEqual(lease + 30);
    for (const [name, service] of Object.entries(services)) {
      if (service.build === undefined) expect(service.image, name).toMatch(/:[^:/]*\d[^:/]*$/);
    }
  });

  it('refuses to start without ADMIN_TOKEN (no team could ever be created)', () => {
    expect(() => model({})).toThrow(/required variable ADMIN_TOKEN/);
  });
});

const composeConfig = findComposeConfig();
reportMissing('loading deploy/compose.yaml with compose-go', composeConfig);

describe.runIf(isCI && composeConfig.bin === undefined)('compose-go in CI', () => {
  it('is available (Go builds deploy/tools/compose-config)', () => {
    throw new Error(composeConfig.missing);
  });
});

describe.skipIf(composeConfig.bin === undefined)(
  'deploy/compose.yaml through compose-go (docker compose config)',
  () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'clsa-compose-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    const load = (args: string[], env: Record<string, string | undefined> = { ADMIN_TOKEN }) =>
      runTool(composeConfig, [...args], env);

    it('loads without the gpu profile: five services, no GPU worker', () => {
      const result = load([composeFile]);
      expect(result.status, result.stderr).toBe(0);
      const project = JSON.parse(result.stdout);
      expect(Object.keys(project.services).sort()).toEqual(['api', 'postgres', 's3-init', 'seaweedfs', 'worker']);
      expect(project.services.api.environment.ADMIN_TOKEN).toBe(ADMIN_TOKEN);
    });

    it('loads with --profile gpu: the GPU worker reserves one NVIDIA GPU', () => {
      const result = load(['-profile', 'gpu', composeFile]);
      expect(result.status, result.stderr).toBe(0);
      const project = JSON.parse(result.stdout);
      expect(project.services['worker-gpu'].deploy.resources.reservations.devices).toEqual([
        { capabilities: ['gpu'], driver: 'nvidia', count: 1 },
      ]);
    });

    it('refuses the file without ADMIN_TOKEN', () => {
      const result = load([composeFile], { ADMIN_TOKEN: '' });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/ADMIN_TOKEN/);
    });

    it('the loader bites: a wrong depends_on condition or an unknown key is refused', () => {
      for (const [from, to] of [
        ['condition: service_completed_successfully', 'condition: service_done'],
        ['stop_grace_period: 120s', 'stop_grace_periods: 120s'],
      ] as const) {
        const broken = path.join(scratch, 'compose.yaml');
        writeFileSync(broken, composeText.replace(from, to));
        const result = load([broken]);
        expect(result.status, to).not.toBe(0);
        expect(result.stderr, to).toMatch(/validating/);
      }
    });
  },
);
