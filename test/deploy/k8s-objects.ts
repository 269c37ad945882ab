/**
 * Rendering the Helm chart and reading its objects: `helm template` output parsed with `yaml`,
 * each object checked against its Kubernetes (kubernetes-models) or KEDA (@kubernetes-models/keda)
 * schema. The schemas check types, required fields, enums and quantities; not unknown fields.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are walked as plain data */
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { parseAllDocuments } from 'yaml';
import { chartDir, runTool, type Tool } from './deploy-tools.js';

/** A rendered object, loosely typed: the assertions walk it as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

type Model = new (data: any) => { validate(): void };

const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/** Kinds of optional CRDs with no schema package here; their tests check their structure. */
const NO_SCHEMA = new Set(['monitoring.coreos.com/v1/ServiceMonitor']);

/** Values every render needs: the chart refuses to install without a database and a store. */
export const REQUIRED_VALUES = [
  'database.url=postgres://clsa:secret@postgres.db.svc:5432/clsa',
  's3.endpoint=https://s3.example.com',
  's3.accessKey=AKIAEXAMPLE',
  's3.secretKey=example-secret',
];

export const VALUES_FILES = ['values.yaml', 'values-gpu.yaml'] as const;

export function helmArgs(valuesFile: string | undefined, sets: string[]): string[] {
  return [
    ...(valuesFile === undefined ? [] : ['-f', `${chartDir}/${valuesFile}`]),
    ...[...REQUIRED_VALUES, ...sets].flatMap((value) => ['--set', value]),
  ];
}

export function helmTemplate(helm: Tool, valuesFile: string | undefined, sets: string[] = []) {
  return runTool(helm, ['template', 'clsa', chartDir, '--namespace', 'ml', ...helmArgs(valuesFile, sets)]);
}

export function render(helm: Tool, valuesFile: string | undefined, sets: string[] = []): K8sObject[] {
  const result = helmTemplate(helm, valuesFile, sets);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm template printed invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** Throws, naming the object, when it breaks its schema or has no schema here. */
export function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  if (NO_SCHEMA.has(key)) return;
  const model = MODELS[key];
  if (model === undefined) throw new Error(`${key} ${object.metadata.name}: no schema here; add it to MODELS`);
  try {
    new model(object).validate();
  } catch (error) {
    throw new Error(`${key} ${object.metadata.name}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) {
    const names = objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    throw new Error(`no ${kind} ${name} rendered (${kind}s: ${names.join(', ') || 'none'})`);
  }
  return found;
}

/** Every pod template in the render: Deployments' and Jobs'. */
export function podTemplates(objects: K8sObject[]): { owner: string; spec: any; labels: Record<string, string> }[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .map((o) => ({
      owner: `${o.kind} ${o.metadata.name}`,
      spec: o.spec.template.spec,
      labels: (o.spec.template.metadata?.labels ?? {}) as Record<string, string>,
    }));
}

export function envOf(container: any): Map<string, any> {
  const env = (container.env ?? []) as { name: string }[];
  return new Map(env.map((e): [string, any] => [e.name, e]));
}

/** Kubernetes quantity → a number (cores, bytes) for comparisons. */
export function quantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value);
  if (match === null) throw new Error(`not a quantity: ${value}`);
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] === undefined ? 1 : (factor[match[2]] ?? 1));
}
