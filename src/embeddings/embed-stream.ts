import type { ServerDuplexStream } from '@grpc/grpc-js';
import { AppError } from '../common/app-error.js';
import { type EmbedStreamRequestMessage, embeddingMessage, inputOf, streamError } from './embedding-messages.js';
import type { EmbeddingsService } from './embeddings.service.js';

type Encoder = Awaited<ReturnType<EmbeddingsService['encoder']>>;

/**
 * One EmbedStream call: each message is embedded on its own (and batched with everything else the
 * server is doing for that encoder); answers go back as they are ready. At most `maxInFlight` of
 * the call's images are being worked on: past it the call is paused, so a fast sender is slowed
 * by flow control instead of filling memory. A message that fails (unknown encoder, bad image,
 * full queue) is answered with its error and the stream goes on.
 */
export class EmbedStream {
  private inFlight = 0;
  private ended = false;
  private readonly cancelled = new AbortController();
  /** Encoders looked up once per call. */
  private readonly encoders = new Map<string, Promise<Encoder>>();

  constructor(
    private readonly call: ServerDuplexStream<EmbedStreamRequestMessage, unknown>,
    private readonly teamId: string,
    private readonly embeddings: EmbeddingsService,
    private readonly maxInFlight: number,
    /** Told of failures that are not the client's (they answer INTERNAL). */
    private readonly onUnexpected: (error: unknown) => void,
  ) {}

  start(): void {
    this.call.on('data', (message: EmbedStreamRequestMessage) => this.receive(message));
    this.call.on('end', () => {
      this.ended = true;
      this.finishIfDone();
    });
    this.call.on('cancelled', () => this.cancelled.abort());
    this.call.on('error', () => this.cancelled.abort());
  }

  private receive(message: EmbedStreamRequestMessage): void {
    this.inFlight += 1;
    if (this.inFlight >= this.maxInFlight) this.call.pause();
    const tag = message.tag ?? '';
    this.answer(message).then(
      (response) => this.send(response),
      (error: unknown) => {
        if (!(error instanceof AppError)) this.onUnexpected(error);
        this.send(streamError(tag, asAppError(error)));
      },
    );
  }

  private async answer(message: EmbedStreamRequestMessage) {
    const input = inputOf(message.input, 'input');
    const encoder = await this.encoder(message.encoderId ?? '');
    const result = await this.embeddings.embedFor(this.teamId, encoder, [input], {
      normalize: message.normalize === true,
      transport: 'grpc-stream',
      signal: this.cancelled.signal,
    });
    const item = result.items[0];
    if (item === undefined) throw new Error('an embedding went missing');
    return { tag: message.tag ?? '', dim: result.dim, embedding: embeddingMessage(item) };
  }

  private encoder(id: string): Promise<Encoder> {
    let found = this.encoders.get(id);
    if (found === undefined) {
      found = this.embeddings.encoder(this.teamId, id);
      found.catch(() => this.encoders.delete(id));
      this.encoders.set(id, found);
    }
    return found;
  }

  private send(response: object): void {
    this.inFlight -= 1;
    if (!this.cancelled.signal.aborted) this.call.write(response);
    if (this.inFlight < this.maxInFlight && this.call.isPaused()) this.call.resume();
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.ended && this.inFlight === 0 && !this.cancelled.signal.aborted) this.call.end();
  }
}

/** Unknown failures are not shown to the client (they were logged). */
function asAppError(error: unknown): AppError {
  return error instanceof AppError ? error : new AppError('INTERNAL', 'The image could not be embedded');
}
