import { describe, expect, it } from 'vitest';
import { buildJobRequest, EMPTY_FORM, formFieldOf } from './job-form';

describe('job form', () => {
  it('sends only what was filled in, laying the fields over the JSON overrides', () => {
    const built = buildJobRequest({
      ...EMPTY_FORM,
      datasetId: 'd1',
      name: '  demo ',
      epochs: '4',
      batchSize: '6',
      baseWidth: '4',
      configJson: '{"encoder": {"projectionDim": 8}, "epochs": 99}',
      priority: '5',
    });
    expect(built).toEqual({
      body: {
        datasetId: 'd1',
        preset: 'cpu-demo',
        name: 'demo',
        config: { encoder: { projectionDim: 8, baseWidth: 4 }, epochs: 4, batchSize: 6 },
        priority: 5,
      },
    });
    expect(buildJobRequest({ ...EMPTY_FORM, datasetId: 'd1' })).toEqual({
      body: { datasetId: 'd1', preset: 'cpu-demo' },
    });
  });

  it('names the field for errors found before sending', () => {
    expect(buildJobRequest({ ...EMPTY_FORM, datasetId: 'd1', configJson: '{nope' })).toMatchObject({
      field: 'configJson',
    });
    expect(buildJobRequest({ ...EMPTY_FORM, datasetId: 'd1', configJson: '[1]' })).toMatchObject({
      field: 'configJson',
    });
    expect(buildJobRequest(EMPTY_FORM)).toMatchObject({ field: 'datasetId' });
  });

  it("maps the API's error field to the form's input", () => {
    expect(formFieldOf('config.batchSize')).toBe('batchSize');
    expect(formFieldOf('config.encoder.baseWidth')).toBe('baseWidth');
    expect(formFieldOf('config.views.key.size')).toBe('configJson');
    expect(formFieldOf('config')).toBe('configJson');
    expect(formFieldOf('datasetId')).toBe('datasetId');
    expect(formFieldOf('Idempotency-Key')).toBeNull();
    expect(formFieldOf(undefined)).toBeNull();
  });
});
