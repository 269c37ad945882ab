import { setTimeout as sleep } from 'node:timers/promises';
import { type EventSourceMessage, EventSourceParserStream } from 'eventsource-parser/stream';
import { isRetryable } from './http-client.js';
import { type JobEvent, type JobsApi, TERMINAL_STATUSES } from './jobs-api.js';

export interface FollowOptions {
  /** Pause between polls, and the first reconnect delay (doubling up to ten times it). */
  intervalMs: number;
  /** Consecutive failed connections before giving up. */
  maxRetries?: number;
  /** A line about the connection itself: fallback to polling, a reconnect. */
  note(message: string): void;
}

/** The connection dropped before the job ended: worth reconnecting with Last-Event-ID. */
class StreamDropped extends Error {
  constructor(reason: string) {
    super(`the event stream ${reason}`);
    this.name = 'StreamDropped';
  }
}

const DEFAULT_RETRIES = 20;

export function isTerminalEvent(event: JobEvent): boolean {
  const status = event.data?.status;
  return event.type === 'status' && status !== undefined && TERMINAL_STATUSES.includes(status);
}

/**
 * A job's events from the start until its terminal status: over Server-Sent Events
 * (`?follow=true`), reconnecting with Last-Event-ID when the connection drops, or, where the
 * server answers without an event stream, by polling `GET /v1/jobs/:id/events?after=`.
 */
export async function* followJobEvents(api: JobsApi, id: string, options: FollowOptions): AsyncGenerator<JobEvent> {
  let lastId: string | undefined;
  let polling = false;
  let failures = 0;
  for (;;) {
    try {
      const batch = polling ? await poll(api, id, lastId) : await api.openEvents(id, lastId);
      if (batch === null) {
        polling = true;
        options.note('the server cannot stream events; polling instead');
        continue;
      }
      if (Array.isArray(batch)) failures = 0;
      const events = Array.isArray(batch) ? batch : streamedEvents(batch);
      let received = 0;
      for await (const event of events) {
        failures = 0;
        received++;
        lastId = event.id;
        yield event;
        if (isTerminalEvent(event)) return;
      }
      if (!polling) throw new StreamDropped('closed before the job ended');
      if (received === 0) await sleep(options.intervalMs);
    } catch (error) {
      if (!(error instanceof StreamDropped) && !isRetryable(error)) throw error;
      failures++;
      if (failures > (options.maxRetries ?? DEFAULT_RETRIES)) throw error;
      const delay = Math.min(options.intervalMs * 2 ** (failures - 1), options.intervalMs * 10);
      options.note(`${error instanceof Error ? error.message : String(error)}; reconnecting in ${seconds(delay)}`);
      await sleep(delay);
    }
  }
}

async function poll(api: JobsApi, id: string, after: string | undefined): Promise<JobEvent[]> {
  return (await api.events(id, after ?? '0')).events;
}

/** Parses the stream with eventsource-parser; a read error or a malformed stream counts as a drop. */
async function* streamedEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<JobEvent> {
  const messages = body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ onError: 'terminate', maxBufferSize: 16 * 1024 * 1024 }));
  try {
    for await (const message of messages) {
      const event = toJobEvent(message);
      if (event !== null) yield event;
    }
  } catch (error) {
    throw new StreamDropped(`broke off (${error instanceof Error ? error.message : String(error)})`);
  }
}

function toJobEvent(message: EventSourceMessage): JobEvent | null {
  let parsed: Partial<JobEvent>;
  try {
    parsed = JSON.parse(message.data) as Partial<JobEvent>;
  } catch {
    return null; // a keep-alive or a message of some other shape: not a job event
  }
  const id = message.id ?? parsed.id;
  if (id === undefined || typeof parsed !== 'object' || parsed === null) return null;
  return {
    id,
    type: message.event ?? parsed.type ?? 'message',
    message: parsed.message ?? '',
    data: parsed.data ?? null,
    createdAt: parsed.createdAt ?? '',
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 1000 ? 2 : 0)}s`;
}
