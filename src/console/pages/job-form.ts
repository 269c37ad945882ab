/** The create-job form's values → the API's request body, and the API's error field → the form's field. */

export interface JobFormValues {
  datasetId: string;
  preset: string;
  name: string;
  epochs: string;
  batchSize: string;
  queueSize: string;
  baseWidth: string;
  configJson: string;
  accelerator: string;
  priority: string;
  checkpointEvery: string;
  maxAttempts: string;
}

export const EMPTY_FORM: JobFormValues = {
  datasetId: '',
  preset: 'cpu-demo',
  name: '',
  epochs: '',
  batchSize: '',
  queueSize: '',
  baseWidth: '',
  configJson: '',
  accelerator: '',
  priority: '',
  checkpointEvery: '',
  maxAttempts: '',
};

export type FormField = keyof JobFormValues;

/** Form fields named by the API's `field` (request field, or dotted config path). */
const FIELD_OF: Record<string, FormField> = {
  datasetId: 'datasetId',
  preset: 'preset',
  name: 'name',
  'config.epochs': 'epochs',
  'config.batchSize': 'batchSize',
  'config.queueSize': 'queueSize',
  'config.encoder.baseWidth': 'baseWidth',
  accelerator: 'accelerator',
  priority: 'priority',
  checkpointEvery: 'checkpointEvery',
  maxAttempts: 'maxAttempts',
};

export function formFieldOf(apiField: string | undefined): FormField | null {
  if (apiField === undefined) return null;
  return FIELD_OF[apiField] ?? (apiField === 'config' || apiField.startsWith('config.') ? 'configJson' : null);
}

/** A number field left empty is left out; anything else must parse (the API checks the ranges). */
function numberOf(value: string): number | undefined {
  return value.trim() === '' ? undefined : Number(value);
}

export type BuildResult = { body: Record<string, unknown> } | { field: FormField; message: string };

export function buildJobRequest(values: JobFormValues): BuildResult {
  let config: Record<string, unknown> = {};
  if (values.configJson.trim() !== '') {
    try {
      const parsed = JSON.parse(values.configJson) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return { field: 'configJson', message: 'The overrides must be a JSON object, e.g. {"beta": 0}' };
      }
      config = parsed as Record<string, unknown>;
    } catch (error) {
      return { field: 'configJson', message: `Not valid JSON: ${error instanceof Error ? error.message : ''}` };
    }
  }
  for (const field of ['epochs', 'batchSize', 'queueSize'] as const) {
    const value = numberOf(values[field]);
    if (value !== undefined) config[field] = value;
  }
  const baseWidth = numberOf(values.baseWidth);
  if (baseWidth !== undefined) {
    const encoder = typeof config.encoder === 'object' && config.encoder !== null ? config.encoder : {};
    config.encoder = { ...encoder, baseWidth };
  }
  const body: Record<string, unknown> = { datasetId: values.datasetId, preset: values.preset };
  if (values.name.trim() !== '') body.name = values.name.trim();
  if (Object.keys(config).length > 0) body.config = config;
  if (values.accelerator !== '') body.accelerator = values.accelerator;
  for (const field of ['priority', 'checkpointEvery', 'maxAttempts'] as const) {
    const value = numberOf(values[field]);
    if (value !== undefined) body[field] = value;
  }
  if (values.datasetId === '') return { field: 'datasetId', message: 'Choose a READY dataset to train on.' };
  return { body };
}
