import { useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api/client';
import { followJob } from '../api/job-stream';
import type { HistoryEvent, Metric } from '../api/types';

const MAX_EVENTS = 500;

export interface JobStream {
  events: HistoryEvent[];
  /** One row per step, in step order (a step trained again after a resume replaces its row). */
  metrics: Metric[];
  state: string;
  error: unknown;
  /** Bumps on each status or checkpoint event: the job and its checkpoints are worth reloading. */
  changes: number;
}

function metricsOf(event: HistoryEvent): Metric[] {
  const rows = event.data?.metrics;
  return Array.isArray(rows) ? (rows as Metric[]) : [];
}

/** The job's live history from its SSE stream: events, the loss curve, and when to reload. */
export function useJobStream(api: ApiClient, jobId: string): JobStream {
  const [events, setEvents] = useState<HistoryEvent[]>([]);
  const [metrics, setMetrics] = useState<Metric[]>([]);
  const [state, setState] = useState('connecting');
  const [error, setError] = useState<unknown>(null);
  const [changes, setChanges] = useState(0);
  const byStep = useRef(new Map<number, Metric>());

  useEffect(() => {
    const controller = new AbortController();
    byStep.current = new Map();
    setEvents([]);
    setMetrics([]);
    setError(null);
    let pending: HistoryEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Replayed history arrives in a burst: apply it in batches, not one render per event.
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      let changed = false;
      let sawMetrics = false;
      for (const event of batch) {
        for (const row of metricsOf(event)) {
          byStep.current.set(row.step, row);
          sawMetrics = true;
        }
        if (event.type === 'status' || event.type === 'checkpoint') changed = true;
      }
      setEvents((list) => [...list, ...batch].slice(-MAX_EVENTS));
      if (sawMetrics) setMetrics([...byStep.current.values()].sort((a, b) => a.step - b.step));
      if (changed || sawMetrics) setChanges((n) => n + 1);
    };
    followJob(
      api,
      jobId,
      {
        onEvent: (event) => {
          pending.push(event);
          timer ??= setTimeout(flush, 100);
        },
        onState: (next, detail) => setState(detail === undefined ? next : `${next}: ${detail}`),
      },
      controller.signal,
    ).catch((caught: unknown) => {
      if (!controller.signal.aborted) {
        setError(caught);
        setState('stopped');
      }
    });
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, jobId]);

  return { events, metrics, state, error, changes };
}
