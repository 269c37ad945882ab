import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { DatasetUploadSessionsService } from './dataset-upload-sessions.service.js';
import { DatasetUploadsService } from './dataset-uploads.service.js';
import { CreateUploadSessionDto } from './datasets.dto.js';
import { archiveView, sessionView } from './datasets.views.js';

/** The raw request body as a stream; uploads are never parsed or buffered. */
export function rawBody(request: FastifyRequest): Readable {
  if (request.body instanceof Readable) return request.body;
  throw new AppError(
    'UNSUPPORTED_MEDIA_TYPE',
    'Send the bytes as the request body with content-type: application/octet-stream',
  );
}

export function contentLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  const value = header === undefined ? NaN : Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('v1/datasets/:id')
export class DatasetUploadsController {
  constructor(
    private readonly uploads: DatasetUploadsService,
    private readonly sessions: DatasetUploadSessionsService,
  ) {}

  /** One streamed request per archive. Optional `x-clsa-sha256` header: checked, a mismatch keeps nothing. */
  @Put('archives/:fileName')
  @ApiConsumes('application/octet-stream')
  async putArchive(
    @Caller() caller: Principal,
    @Param('id') id: string,
    @Param('fileName') fileName: string,
    @Req() request: FastifyRequest,
  ) {
    const sha = request.headers['x-clsa-sha256'];
    const archive = await this.uploads.upload(caller.teamId, id, {
      fileName,
      body: rawBody(request),
      expectedSha256: typeof sha === 'string' ? sha : undefined,
      declaredBytes: contentLength(request),
    });
    return archiveView(archive);
  }

  /** The same as PUT, as multipart/form-data (one or more file fields; a `sha256` field applies to the next file). */
  @Post('archives')
  @ApiConsumes('multipart/form-data')
  async postArchives(@Caller() caller: Principal, @Param('id') id: string, @Req() request: FastifyRequest) {
    if (!request.isMultipart()) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data with one or more archive file fields');
    }
    const archives = [];
    let sha256: string | undefined;
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.fieldname !== 'sha256') {
          throw new AppError(
            'VALIDATION_FAILED',
            `unknown form field "${part.fieldname}": only sha256 and files are accepted`,
            part.fieldname,
          );
        }
        sha256 = String(part.value);
        continue;
      }
      archives.push(
        archiveView(
          await this.uploads.upload(caller.teamId, id, {
            fileName: part.filename,
            body: part.file,
            expectedSha256: sha256,
          }),
        ),
      );
      sha256 = undefined;
    }
    if (archives.length === 0) throw new AppError('VALIDATION_FAILED', 'The form holds no file', 'file');
    return { archives };
  }

  @Post('uploads')
  async createSession(@Caller() caller: Principal, @Param('id') id: string, @Body() body: CreateUploadSessionDto) {
    return sessionView(await this.sessions.create(caller.teamId, id, body));
  }

  /** Which parts arrived and which are missing, with fresh URLs for the missing ones: how clients resume. */
  @Get('uploads/:uploadId')
  async session(@Caller() caller: Principal, @Param('id') id: string, @Param('uploadId') uploadId: string) {
    return sessionView(await this.sessions.status(caller.teamId, id, uploadId));
  }

  @Put('uploads/:uploadId/parts/:partNumber')
  @ApiConsumes('application/octet-stream')
  async putPart(
    @Caller() caller: Principal,
    @Param('id') id: string,
    @Param('uploadId') uploadId: string,
    @Param('partNumber') partNumber: string,
    @Req() request: FastifyRequest,
  ) {
    const size = contentLength(request);
    if (size === undefined)
      throw new AppError('VALIDATION_FAILED', 'A part needs a content-length header', 'content-length');
    return this.sessions.uploadPart(caller.teamId, id, uploadId, Number(partNumber), rawBody(request), size);
  }

  @Post('uploads/:uploadId/complete')
  async completeSession(@Caller() caller: Principal, @Param('id') id: string, @Param('uploadId') uploadId: string) {
    return archiveView(await this.sessions.complete(caller.teamId, id, uploadId));
  }

  @Delete('uploads/:uploadId')
  @HttpCode(204)
  async abortSession(@Caller() caller: Principal, @Param('id') id: string, @Param('uploadId') uploadId: string) {
    await this.sessions.abort(caller.teamId, id, uploadId);
  }
}
