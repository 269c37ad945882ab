import { setTimeout as sleep } from 'node:timers/promises';
import type { Dataset, DatasetsApi } from './datasets-api.js';
import type { Reporter } from './progress.js';

const FINAL = new Set(['READY', 'FAILED']);

/** Polls the dataset until validation makes it READY or FAILED, printing each new event. */
export async function waitForDataset(
  api: DatasetsApi,
  id: string,
  reporter: Reporter,
  intervalMs = 2000,
): Promise<Dataset> {
  let after = '0';
  for (;;) {
    const { events } = await api.events(id, after);
    for (const event of events) {
      reporter.note(`${event.createdAt} ${event.type}: ${event.message}`);
      after = event.id;
    }
    const dataset = await api.get(id);
    if (FINAL.has(dataset.status)) return dataset;
    if (events.length === 0) await sleep(intervalMs);
  }
}
