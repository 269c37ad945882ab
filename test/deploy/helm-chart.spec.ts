/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are walked as plain data */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { isCI } from '../support/ci.js';
import { findHelm, reportMissing, runTool } from './deploy-tools.js';
import {
  envOf,
  find,
  helmArgs,
  helmTemplate,
  type K8sObject,
  podTemplates,
  quantity,
  render,
  validateObject,
  VALUES_FILES,
} from './k8s-objects.js';

/**
 * deploy/helm/clsa: `helm lint` and `helm template` for each values file, every object against
 * its schema, and the properties the service depends on (see deploy/README.md).
 */
const helm = findHelm();
reportMissing('the Helm chart checks', helm);

describe.runIf(isCI && helm.bin === undefined)('helm in CI', () => {
  it('is installed (.ci/run runs scripts/ci/install-helm.sh)', () => {
    throw new Error(helm.missing);
  });
});

describe.skipIf(helm.bin === undefined)('Helm chart deploy/helm/clsa', () => {
  const rendered = new Map<string, K8sObject[]>();
  beforeAll(() => {
    for (const file of VALUES_FILES) rendered.set(file, render(helm, file));
  });
  const objects = (file: (typeof VALUES_FILES)[number]) => rendered.get(file) ?? [];

  it.each(VALUES_FILES)('helm lint --strict passes with %s', (file) => {
    const result = runTool(helm, ['lint', '--strict', 'deploy/helm/clsa', ...helmArgs(file, [])]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it.each(VALUES_FILES)('every object rendered from %s matches its Kubernetes or KEDA schema', (file) => {
    const all = objects(file);
    expect(all.length).toBeGreaterThan(8);
    for (const object of all) validateObject(object);
    const keys = all.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size, 'two objects share a kind and name').toBe(keys.length);
  });

  it('the schema check bites: a Deployment with a wrong type is refused', () => {
    const api = structuredClone(find(objects('values.yaml'), 'Deployment', 'clsa-api'));
    api.spec.replicas = 'two';
    expect(() => validateObject(api)).toThrow(/replicas must be integer/);
  });

  it.each(VALUES_FILES)('pods in %s run as non-root, read-only, without privileges, with requests', (file) => {
    for (const { owner, spec } of podTemplates(objects(file))) {
      expect(spec.securityContext, owner).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.securityContext.runAsUser, owner).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken, owner).toBe(false);
      for (const container of spec.containers) {
        expect(container.securityContext, owner).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(quantity(container.resources.requests.cpu), owner).toBeGreaterThan(0);
        expect(quantity(container.resources.requests.memory), owner).toBeGreaterThan(0);
        expect(quantity(container.resources.limits.memory), owner).toBeGreaterThanOrEqual(
          quantity(container.resources.requests.memory),
        );
      }
    }
  });

  it('the API serves HTTP and gRPC with health probes, a drain delay and scrape annotations', () => {
    const all = objects('values.yaml');
    const api = find(all, 'Deployment', 'clsa-api');
    const pod = api.spec.template;
    const [container] = pod.spec.containers;
    expect(container.ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'grpc', containerPort: 50051, protocol: 'TCP' },
    ]);
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    const env = envOf(container);
    expect(env.get('EMBEDDED_WORKERS')?.value).toBe('0');
    expect(env.get('HTTP_HOST')?.value).toBe('0.0.0.0');
    // preStop sleep + SHUTDOWN_GRACE_MS must fit in the grace period.
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      5 + Number(env.get('SHUTDOWN_GRACE_MS')?.value) / 1000,
    );
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    const service = find(all, 'Service', 'clsa-api');
    expect(service.spec.ports.map((p: any) => [p.name, p.port, p.targetPort] as unknown[])).toEqual([
      ['http', 8080, 'http'],
      ['grpc', 50051, 'grpc'],
    ]);
    expect(service.spec.selector).toEqual(pod.metadata.labels);
  });

  it.each(VALUES_FILES)('every Deployment in %s has a PodDisruptionBudget that selects its pods', (file) => {
    const all = objects(file);
    for (const deployment of all.filter((o) => o.kind === 'Deployment')) {
      const pdb = find(all, 'PodDisruptionBudget', deployment.metadata.name);
      // maxUnavailable (never minAvailable) so that a single-replica pool cannot block a drain.
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(pdb.spec.minAvailable).toBeUndefined();
      expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    }
  });

  it('migrations run once per release in a pre-install/pre-upgrade hook Job that has its database URL', () => {
    const all = objects('values.yaml');
    const job = find(all, 'Job', 'clsa-migrate');
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const [container] = job.spec.template.spec.containers;
    expect(container.command).toEqual(['node', '/app/deploy/docker/migrate.mjs']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    // Hooks run before the release's own Secrets exist: the hook brings its own, created first.
    const ref = envOf(container).get('DATABASE_URL').valueFrom.secretKeyRef;
    const secret = find(all, 'Secret', ref.name);
    expect(secret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(secret.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations?.['helm.sh/hook-weight']),
    );
    expect(secret.stringData?.[ref.key]).toMatch(/^postgres:\/\//);
  });

  it('the default values run one CPU worker pool without GPUs or KEDA', () => {
    const all = objects('values.yaml');
    const worker = find(all, 'Deployment', 'clsa-worker-cpu');
    const [container] = worker.spec.template.spec.containers;
    expect(envOf(container).get('WORKER_ACCELERATOR')?.value).toBe('CPU');
    expect(JSON.stringify(container.resources)).not.toContain('nvidia.com/gpu');
    expect(worker.spec.replicas).toBe(1);
    expect(all.filter((o) => o.apiVersion.startsWith('keda.sh/'))).toEqual([]);
  });

  it.each(VALUES_FILES)(
    'workers in %s get a grace period that covers a step plus a checkpoint, and no preStop',
    (file) => {
      const all = objects(file);
      const lease = Number(find(all, 'ConfigMap', 'clsa').data?.JOB_LEASE_SECONDS);
      expect(lease).toBeGreaterThanOrEqual(2);
      for (const worker of all.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'worker')) {
        if (worker.kind !== 'Deployment') continue;
        const pod = worker.spec.template.spec;
        expect(pod.terminationGracePeriodSeconds, worker.metadata.name).toBeGreaterThanOrEqual(lease + 30);
        const [container] = pod.containers;
        expect(container.lifecycle?.preStop, worker.metadata.name).toBeUndefined();
        expect(container.livenessProbe.exec.command).toEqual(['/bin/sh', '/app/deploy/docker/worker-healthcheck.sh']);
        expect(envOf(container).get('WORKER_NAME')?.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
        expect(pod.volumes.find((v: any) => v.name === 'tmp').emptyDir.sizeLimit).toBeTruthy();
      }
    },
  );

  it('values-gpu.yaml puts a GPU pool on GPU nodes and KEDA scales it from zero with its jobs', () => {
    const all = objects('values-gpu.yaml');
    const gpu = find(all, 'Deployment', 'clsa-worker-gpu');
    const pod = gpu.spec.template.spec;
    const [container] = pod.containers;
    expect(container.resources.requests['nvidia.com/gpu']).toBe(1);
    expect(container.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(container.image).toMatch(/clsa-worker-gpu:/);
    expect(envOf(container).get('WORKER_ACCELERATOR')?.value).toBe('GPU');
    expect(envOf(container).get('TENSOR_BACKEND')?.value).toBe('tensorflow');
    expect(pod.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    expect(Object.keys(pod.nodeSelector ?? {})).not.toEqual([]);
    expect(gpu.spec.replicas, 'KEDA owns the replica count').toBeUndefined();

    const scaled = find(all, 'ScaledObject', 'clsa-worker-gpu');
    expect(scaled.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: gpu.metadata.name });
    expect(scaled.spec.minReplicaCount).toBe(0);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThan(0);
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('postgresql');
    expect(trigger.metadata.query).toMatch(/FROM jobs WHERE accelerator = 'GPU'/);
    expect(trigger.metadata.query).toMatch(/'QUEUED'/);
    expect(trigger.metadata.targetQueryValue).toBe('1');

    // The KEDA operator connects with the same secret the workers use for DATABASE_URL.
    const auth = find(all, 'TriggerAuthentication', trigger.authenticationRef.name);
    const workerDb = envOf(container).get('DATABASE_URL').valueFrom.secretKeyRef;
    expect(auth.spec.secretTargetRef).toEqual([{ parameter: 'connection', name: workerDb.name, key: workerDb.key }]);
    expect(find(all, 'Secret', workerDb.name).stringData?.[workerDb.key]).toMatch(/^postgres:\/\//);

    // The CPU pool stays (CPU jobs and evaluations), without GPUs or KEDA.
    const cpu = find(all, 'Deployment', 'clsa-worker-cpu');
    expect(JSON.stringify(cpu.spec.template.spec.containers[0].resources)).not.toContain('nvidia.com/gpu');
    expect(all.filter((o) => o.kind === 'ScaledObject').map((o) => o.metadata.name)).toEqual(['clsa-worker-gpu']);
  });

  it('existing Secrets replace the chart-made ones everywhere, KEDA and the migration hook included', () => {
    const all = render(helm, 'values-gpu.yaml', [
      'database.existingSecret=clsa-db',
      'database.existingSecretKey=url',
      's3.existingSecret=clsa-s3',
    ]);
    expect(all.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([]);
    for (const { owner, spec } of podTemplates(all)) {
      const ref = envOf(spec.containers[0]).get('DATABASE_URL').valueFrom.secretKeyRef;
      expect(ref, owner).toEqual({ name: 'clsa-db', key: 'url' });
    }
    expect(find(all, 'TriggerAuthentication', 'clsa-postgres').spec.secretTargetRef[0]).toMatchObject({
      name: 'clsa-db',
      key: 'url',
    });
  });

  it('optional ingresses, API autoscaling and the ServiceMonitor render valid objects', () => {
    const all = render(helm, 'values.yaml', [
      'api.ingress.enabled=true',
      'api.ingress.hosts[0].host=clsa.example.com',
      'api.grpcIngress.enabled=true',
      'api.grpcIngress.host=grpc.clsa.example.com',
      'api.autoscaling.enabled=true',
      'metrics.serviceMonitor.enabled=true',
    ]);
    for (const object of all) validateObject(object);
    expect(find(all, 'Ingress', 'clsa-api').spec.rules[0].host).toBe('clsa.example.com');
    expect(find(all, 'Ingress', 'clsa-grpc').spec.rules[0].http.paths[0].backend.service.port.name).toBe('grpc');
    expect(find(all, 'Deployment', 'clsa-api').spec.replicas).toBeUndefined();
    expect(envOf(find(all, 'Deployment', 'clsa-api').spec.template.spec.containers[0]).get('PUBLIC_URL')?.value).toBe(
      'http://clsa.example.com',
    );
    expect(find(all, 'ServiceMonitor', 'clsa-api').spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s' },
    ]);
  });

  it.each([
    [['workers[0].terminationGracePeriodSeconds=40'], /at least config.jobLeaseSeconds \+ 30 = 60/],
    [['config.jobLeaseSeconds=600'], /workers\[cpu\].terminationGracePeriodSeconds \(120\) must be at least/],
    [['workers[0].accelerator=GPU'], /GPU pool: set gpus to 1/],
    [['api.terminationGracePeriodSeconds=10'], /api.terminationGracePeriodSeconds \(10\) must cover/],
    [['database.url='], /database.url or database.existingSecret is required/],
    [['adminToken=short'], /adminToken must be at least 32 characters/],
  ])('refuses %s', (sets, message) => {
    const result = helmTemplate(helm, 'values.yaml', sets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

/** The KEDA query the chart renders, run against a migrated database with jobs in every state. */
describe.skipIf(helm.bin === undefined)('KEDA query against the real schema', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresAdminUrl'));
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const team = randomUUID();
    await client.query(`INSERT INTO teams (id, name, slug) VALUES ($1, 'keda', $2)`, [
      team,
      `keda-${team.slice(0, 8)}`,
    ]);
    const states = ['QUEUED', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
    for (const accelerator of ['GPU', 'CPU']) {
      for (const [i, status] of states.entries()) {
        // GPU: one job per state plus a second QUEUED one; CPU: one per state.
        const copies = accelerator === 'GPU' && i === 0 ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          await client.query(
            `INSERT INTO jobs (id, team_id, status, config, lineage, accelerator, checkpoint_every, max_attempts, total_steps, updated_at)
             VALUES ($1, $2, $3, '{}', '{}', $4, 10, 3, 100, now())`,
            [randomUUID(), team, status, accelerator],
          );
        }
      }
    }
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  const queryOf = (objects: K8sObject[], name: string): string =>
    find(objects, 'ScaledObject', name).spec.triggers[0].metadata.query as string;

  it('counts the GPU jobs waiting or training (values-gpu.yaml)', async () => {
    const query = queryOf(render(helm, 'values-gpu.yaml'), 'clsa-worker-gpu');
    const { rows } = await client.query<{ count: string }>(query);
    expect(Number(rows[0]?.count)).toBe(4); // 2 QUEUED + RUNNING + CANCELLING
  });

  it('counts the CPU jobs for a CPU pool scaled by KEDA', async () => {
    const query = queryOf(render(helm, 'values.yaml', ['workers[0].autoscaling.keda.enabled=true']), 'clsa-worker-cpu');
    const { rows } = await client.query<{ count: string }>(query);
    expect(Number(rows[0]?.count)).toBe(3);
  });
});
