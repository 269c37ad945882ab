import type { Readable } from 'node:stream';
import type { HttpClient, PutTarget } from './http-client.js';

/** The REST shapes the CLI reads, declared here so the CLI never imports server code. */
export type DatasetStatus = 'UPLOADING' | 'VALIDATING' | 'READY' | 'FAILED';
export type DatasetLayout = 'IMAGEFOLDER' | 'WEBDATASET';

export interface Dataset {
  id: string;
  name: string;
  description: string | null;
  layout: DatasetLayout;
  status: DatasetStatus;
  sizeBytes: number;
  imageCount: number;
  rejectedCount: number;
  classCount: number;
  failureReason: string | null;
  createdAt: string;
  readyAt: string | null;
}

export interface Archive {
  id: string;
  fileName: string;
  status: 'UPLOADING' | 'UPLOADED' | 'ABORTED';
  sizeBytes: number | null;
  sha256: string | null;
}

export interface PartTarget extends PutTarget {
  partNumber: number;
  size: number;
}

export interface UploadSession {
  upload: Archive;
  partSizeBytes: number;
  partCount: number;
  parts?: PartTarget[];
  received?: { partNumber: number; size: number; etag: string }[];
  missing?: number[];
}

export interface DatasetEvent {
  id: string;
  type: string;
  message: string;
  createdAt: string;
}

export interface NewUpload {
  fileName: string;
  sizeBytes: number;
  sha256?: string;
  partSizeBytes?: number;
}

const enc = encodeURIComponent;

/** One method per dataset route the CLI uses. */
export class DatasetsApi {
  constructor(readonly http: HttpClient) {}

  create(body: { name: string; description?: string; layout?: DatasetLayout }): Promise<Dataset> {
    return this.http.request('POST', '/v1/datasets', { json: body });
  }

  list(query: {
    status?: string;
    cursor?: string;
    limit?: number;
  }): Promise<{ datasets: Dataset[]; nextCursor: string | null }> {
    return this.http.request('GET', '/v1/datasets', { query });
  }

  get(id: string): Promise<Dataset> {
    return this.http.request('GET', `/v1/datasets/${enc(id)}`);
  }

  remove(id: string): Promise<void> {
    return this.http.request('DELETE', `/v1/datasets/${enc(id)}`);
  }

  complete(id: string): Promise<Dataset> {
    return this.http.request('POST', `/v1/datasets/${enc(id)}/complete`);
  }

  events(id: string, after: string): Promise<{ events: DatasetEvent[] }> {
    return this.http.request('GET', `/v1/datasets/${enc(id)}/events`, { query: { after } });
  }

  createUpload(id: string, body: NewUpload): Promise<UploadSession> {
    return this.http.request('POST', `/v1/datasets/${enc(id)}/uploads`, { json: body });
  }

  uploadStatus(id: string, uploadId: string): Promise<UploadSession> {
    return this.http.request('GET', `/v1/datasets/${enc(id)}/uploads/${enc(uploadId)}`);
  }

  completeUpload(id: string, uploadId: string): Promise<Archive> {
    return this.http.request('POST', `/v1/datasets/${enc(id)}/uploads/${enc(uploadId)}/complete`);
  }

  abortUpload(id: string, uploadId: string): Promise<void> {
    return this.http.request('DELETE', `/v1/datasets/${enc(id)}/uploads/${enc(uploadId)}`);
  }

  /** One streamed request of unknown length; the API hashes and stores it as it arrives. */
  putArchive(id: string, fileName: string, stream: Readable): Promise<Archive> {
    return this.http.request('PUT', `/v1/datasets/${enc(id)}/archives/${enc(fileName)}`, { stream });
  }
}
