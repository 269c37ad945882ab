import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../common/app-error.js';
import { createValidationPipe } from '../common/validation.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig, EmbeddingSettings } from '../config/config.js';
import type { EmbedInput } from './embedding-items.js';
import { EmbedOptionsDto, EmbedRequestDto, type EmbedInputDto, type OutputFormat } from './embeddings.dto.js';

export interface EmbedRequest {
  inputs: EmbedInput[];
  options: { normalize: boolean; format: OutputFormat };
}

const MULTIPART_FIELDS = new Set(['normalize', 'format']);

/** A JSON input: exactly one of its image bytes or a dataset sample. */
function toInput(dto: EmbedInputDto, index: number): EmbedInput {
  const field = `inputs[${index}]`;
  if (dto.image !== undefined) {
    if (dto.datasetId !== undefined || dto.key !== undefined) {
      throw new AppError('VALIDATION_FAILED', `${field} must have either image or datasetId and key, not both`, field);
    }
    return { bytes: Buffer.from(dto.image, 'base64') };
  }
  if (dto.datasetId === undefined || dto.key === undefined) {
    throw new AppError('VALIDATION_FAILED', `${field} needs image (base64) or both datasetId and key`, field);
  }
  return { dataset: { datasetId: dto.datasetId, key: dto.key } };
}

/**
 * Reads an embeddings request of either content type into inputs and options, with the same
 * validation as any other body; multipart files are read whole (each image is needed whole to
 * decode) within the request size limit.
 */
@Injectable()
export class EmbeddingRequestReader {
  private readonly settings: EmbeddingSettings;
  private readonly pipe = createValidationPipe();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.settings = config.embeddings;
  }

  async read(request: FastifyRequest, query: EmbedOptionsDto): Promise<EmbedRequest> {
    const accept = request.headers.accept ?? '';
    const { inputs, options } = request.isMultipart() ? await this.multipart(request) : await this.json(request.body);
    const format = options.format ?? query.format ?? (accept.includes('application/octet-stream') ? 'binary' : 'float');
    return { inputs, options: { normalize: options.normalize ?? query.normalize ?? false, format } };
  }

  private async json(body: unknown): Promise<{ inputs: EmbedInput[]; options: EmbedOptionsDto }> {
    if (body === undefined || body === null) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        'Send application/json {inputs: [...]} or multipart/form-data with image files',
      );
    }
    const dto = (await this.pipe.transform(body, { type: 'body', metatype: EmbedRequestDto })) as EmbedRequestDto;
    return { inputs: dto.inputs.map(toInput), options: dto };
  }

  private async multipart(request: FastifyRequest): Promise<{ inputs: EmbedInput[]; options: EmbedOptionsDto }> {
    const { maxItems, maxRequestBytes } = this.settings;
    const inputs: EmbedInput[] = [];
    const fields: Record<string, string> = {};
    let total = 0;
    try {
      const parts = request.parts({ limits: { fileSize: maxRequestBytes, files: maxItems, fields: 8, fieldSize: 64 } });
      for await (const part of parts) {
        if (part.type === 'field') {
          if (!MULTIPART_FIELDS.has(part.fieldname)) throw unknownField(part.fieldname);
          fields[part.fieldname] = String(part.value);
          continue;
        }
        const bytes = await part.toBuffer();
        total += bytes.length;
        if (total > maxRequestBytes) throw tooLarge(maxRequestBytes);
        inputs.push({ bytes });
      }
    } catch (error) {
      throw multipartError(error, this.settings);
    }
    const options = (await this.pipe.transform(fields, { type: 'body', metatype: EmbedOptionsDto })) as EmbedOptionsDto;
    return { inputs, options };
  }
}

function unknownField(name: string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `unknown form field "${name}": only image files, normalize and format`,
    name,
  );
}

function tooLarge(limit: number): AppError {
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `The images add up to more than the limit of ${limit} bytes (EMBED_MAX_REQUEST_MB)`,
  );
}

/** @fastify/multipart's limit errors, in our words and with our limits. */
function multipartError(error: unknown, settings: EmbeddingSettings): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(settings.maxRequestBytes);
  if (code === 'FST_FILES_LIMIT') {
    return new AppError(
      'PAYLOAD_TOO_LARGE',
      `The form holds more than ${settings.maxItems} images (EMBED_MAX_ITEMS)`,
      'inputs',
    );
  }
  return error;
}
