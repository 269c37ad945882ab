/** A row of an event log, a dataset's or a job's. */
export interface EventRecord {
  id: bigint;
  type: string;
  message: string;
  data: unknown;
  createdAt: Date;
}

/** An event as the REST API, its SSE stream and the console show it. */
export function eventView(e: EventRecord) {
  return {
    id: e.id.toString(),
    type: e.type,
    message: e.message,
    data: e.data ?? null,
    createdAt: e.createdAt.toISOString(),
  };
}
