import { Controller, Get, Inject, Put, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Public } from '../auth/auth.decorators.js';
import { AppError } from '../common/app-error.js';
import { FilesystemObjectStore } from './filesystem-object-store.js';
import type { ObjectStore } from './object-store.js';
import { handlePresignedRequest } from './presigned-request.js';
import { OBJECT_STORE } from './storage.module.js';

/**
 * Serves presigned URLs of the embedded filesystem store, which has no server of its own.
 * With an S3 store, presigned URLs point at the S3 server and this route does not exist.
 * Authorisation is the URL's signature, not an API key.
 */
@ApiExcludeController()
@Public()
@Controller('v1/storage/objects')
export class StorageController {
  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}

  @Get('*')
  get(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.serve(request, reply);
  }

  @Put('*')
  put(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.serve(request, reply);
  }

  private async serve(request: FastifyRequest, reply: FastifyReply) {
    if (!(this.store instanceof FilesystemObjectStore)) {
      throw new AppError('ROUTE_NOT_FOUND', 'Presigned URLs are served by the S3 server in this deployment');
    }
    const params = request.params as Record<string, string | undefined>;
    const result = await handlePresignedRequest(this.store, {
      method: request.method,
      key: params['*'] ?? '',
      query: request.query as Record<string, string | undefined>,
      body: request.body instanceof Readable ? request.body : request.raw,
      ...(typeof request.headers.range === 'string' ? { range: request.headers.range } : {}),
    });
    return reply.status(result.status).headers(result.headers).send(result.body);
  }
}
