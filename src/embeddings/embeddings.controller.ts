import { Controller, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { EmbeddingsService } from './embeddings.service.js';
import { EmbedOptionsDto } from './embeddings.dto.js';
import { embeddingsBinary, embeddingsView } from './embedding-output.js';
import { EmbeddingRequestReader } from './embedding-request.js';

@ApiTags('encoders')
@ApiBearerAuth()
@Controller('v1/encoders')
export class EmbeddingsController {
  constructor(
    private readonly embeddings: EmbeddingsService,
    private readonly requests: EmbeddingRequestReader,
  ) {}

  /**
   * Embeds a batch: a JSON body `{inputs: [{image: base64} | {datasetId, key}], normalize?, format?}`
   * or multipart/form-data with one file field per image (and `normalize`/`format` fields). Answers
   * every input in order, each with its embedding or its own error; `format=binary` (or
   * `Accept: application/octet-stream`) answers raw float32 with the shape in `x-clsa-shape`.
   */
  @Post(':id/embeddings')
  @HttpCode(200)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiProduces('application/json', 'application/octet-stream')
  async embed(
    @Caller() caller: Principal,
    @Param('id') id: string,
    @Query() query: EmbedOptionsDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { inputs, options } = await this.requests.read(request, query);
    const closed = new AbortController();
    // A client that hangs up frees its places: what has not reached a batch is dropped.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) closed.abort();
    });
    const result = await this.embeddings.embed(caller.teamId, id, inputs, {
      normalize: options.normalize,
      transport: 'rest',
      signal: closed.signal,
    });
    if (options.format !== 'binary') return embeddingsView(result, options.format);
    const { body, headers } = embeddingsBinary(result);
    void reply.headers(headers);
    return body;
  }
}
