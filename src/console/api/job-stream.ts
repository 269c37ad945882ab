import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { ApiClient } from './client';
import { ApiError, NetworkError } from './client';
import { TERMINAL_JOB_STATUSES, type HistoryEvent, type JobStatus } from './types';

export interface StreamHandlers {
  onEvent(event: HistoryEvent): void;
  /** 'live' while connected, 'reconnecting' between tries, 'ended' after the job's final status. */
  onState(state: 'connecting' | 'live' | 'reconnecting' | 'ended', detail?: string): void;
}

export function isTerminalEvent(event: HistoryEvent): boolean {
  const status = event.data?.status as JobStatus | undefined;
  return event.type === 'status' && status !== undefined && TERMINAL_JOB_STATUSES.includes(status);
}

function toEvent(id: string | undefined, type: string | undefined, data: string): HistoryEvent | null {
  try {
    const parsed = JSON.parse(data) as Partial<HistoryEvent>;
    const eventId = id ?? parsed.id;
    if (eventId === undefined) return null;
    return {
      id: eventId,
      type: type ?? parsed.type ?? 'message',
      message: parsed.message ?? '',
      data: parsed.data ?? null,
      createdAt: parsed.createdAt ?? new Date().toISOString(),
    };
  } catch {
    return null;
  }
}

/**
 * Follows a job's events over Server-Sent Events. EventSource cannot send the Authorization
 * header, so this reads `GET /v1/jobs/{id}/events?follow=true` with fetch and parses the stream
 * with eventsource-parser; when the connection drops it reconnects with Last-Event-ID (backing
 * off), and it stops after the job's final status event or when `signal` aborts.
 */
export async function followJob(
  api: ApiClient,
  jobId: string,
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    handlers.onState(failures === 0 ? 'connecting' : 'reconnecting');
    try {
      const response = await api.raw('GET', `/v1/jobs/${encodeURIComponent(jobId)}/events?follow=true`, {
        signal,
        headers: { accept: 'text/event-stream', ...(lastId !== undefined ? { 'last-event-id': lastId } : {}) },
      });
      if (response.body === null) throw new NetworkError('the response has no body');
      handlers.onState('live');
      const messages = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream({ onError: 'terminate' }));
      const reader = messages.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const event = toEvent(value.id, value.event, value.data);
        if (event === null) continue;
        failures = 0;
        lastId = event.id;
        handlers.onEvent(event);
        if (isTerminalEvent(event)) {
          await reader.cancel();
          handlers.onState('ended');
          return;
        }
      }
      throw new NetworkError('the event stream closed before the job ended');
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) throw error;
      failures++;
      const delayMs = Math.min(500 * 2 ** (failures - 1), 10_000);
      handlers.onState('reconnecting', `${error instanceof Error ? error.message : String(error)}; retrying`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
