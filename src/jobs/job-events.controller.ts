import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { PageQuery } from '../datasets/datasets.dto.js';
import { eventView } from '../common/event-view.js';
import { JobEventFeed } from './job-event-feed.js';
import type { JobEventRecord } from './jobs.repository.js';
import { JobsService } from './jobs.service.js';

const KEEP_ALIVE_MS = 15_000;
const EVENT_ID = /^\d{1,18}$/;
const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx and the like pass the stream through instead of buffering it.
  'x-accel-buffering': 'no',
};

export class JobEventsQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description:
      "true: answer as text/event-stream: the events after `after` (or after the Last-Event-ID header), then new ones live; the stream ends after the job's final status event",
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'follow must be true or false' })
  follow?: string;
}

/** Where a (re)connecting client resumes: EventSource sends the last id it saw as Last-Event-ID. */
function resumeAfter(lastEventId: string | undefined, after: string | undefined): bigint {
  if (lastEventId === undefined || lastEventId === '') return BigInt(after ?? '0');
  if (!EVENT_ID.test(lastEventId)) {
    throw new AppError('VALIDATION_FAILED', 'Last-Event-ID must be the id of an event of this job', 'Last-Event-ID');
  }
  return BigInt(lastEventId);
}

/**
 * The follow as Server-Sent Events. A comment opens the stream, so the client has the headers at
 * once; another one keeps an idle stream open through proxies. A shutdown ends the stream as if
 * the job had more to say: the client reconnects (to another replica) with Last-Event-ID.
 */
async function* serverSentEvents(events: AsyncIterable<JobEventRecord | null>): AsyncGenerator<string> {
  yield ': following\n\n';
  let lastSent = Date.now();
  try {
    for await (const event of events) {
      if (event !== null) {
        yield `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(eventView(event))}\n\n`;
      } else if (Date.now() - lastSent < KEEP_ALIVE_MS) {
        continue;
      } else {
        yield ': keep-alive\n\n';
      }
      lastSent = Date.now();
    }
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'UNAVAILABLE')) throw error;
  }
}

/** A job's history: a JSON page, or with ?follow=true a live text/event-stream. */
@ApiTags('jobs')
@ApiBearerAuth()
@Controller('v1/jobs')
export class JobEventsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly feed: JobEventFeed,
  ) {}

  @Get(':id/events')
  @ApiProduces('application/json', 'text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'With follow=true: resume after this event' })
  async events(
    @Caller() caller: Principal,
    @Param('id') id: string,
    @Query() query: JobEventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (query.follow !== 'true') {
      const events = await this.jobs.events(caller.teamId, id, BigInt(query.after ?? '0'), query.limit ?? 100);
      return { events: events.map(eventView) };
    }
    // Nest streams what the generator yields as the client reads it; the signal stops the follow
    // as soon as the client goes, even while it waits for news.
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const events = await this.feed.follow(caller.teamId, id, resumeAfter(lastEventId, query.after), gone.signal);
    void reply.headers(STREAM_HEADERS);
    return serverSentEvents(events);
  }
}
