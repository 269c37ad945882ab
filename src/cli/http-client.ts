import type { Readable } from 'node:stream';

/** An error the API (or the object store behind a presigned URL) answered with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request never got an answer: connection refused, reset, DNS. */
export class NetworkError extends Error {
  constructor(url: string, cause: unknown) {
    const reason = (cause as { cause?: { code?: string; message?: string } }).cause;
    super(`cannot reach ${new URL(url).origin}: ${reason?.code ?? reason?.message ?? String(cause)}`);
    this.name = 'NetworkError';
  }
}

/** Worth another try: no answer, a timeout, throttling or a server-side failure. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return error instanceof ApiError && (error.status >= 500 || error.status === 408 || error.status === 429);
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  /** Raw bytes, streamed; give `size` when known so the request carries a content-length. */
  stream?: Readable;
  size?: number;
  headers?: Record<string, string>;
}

/** Where one part goes: a presigned URL (no key) or the API's own part route (with the key). */
export interface PutTarget {
  url?: string;
  apiPath: string;
}

/** A plain HTTP client of the public REST API: bearer key, JSON in and out, `{error}` bodies. */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, ...options.headers };
    const init: RequestInit = { method, headers };
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.json);
    } else if (options.stream !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      if (options.size !== undefined) headers['content-length'] = String(options.size);
      init.body = options.stream;
      init.duplex = 'half';
    }
    const response = await this.send(url.toString(), init);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** PUTs `size` raw bytes to a part target; presigned URLs get no authorization header. */
  async putPart(target: PutTarget, stream: Readable, size: number): Promise<void> {
    if (target.url === undefined) {
      await this.request('PUT', target.apiPath, { stream, size });
      return;
    }
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size) };
    const response = await this.send(target.url, { method: 'PUT', headers, body: stream, duplex: 'half' });
    await response.arrayBuffer();
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchFn(url, init);
    } catch (error) {
      throw new NetworkError(url, error);
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as {
      error?: { code?: string; message?: string; field?: string; requestId?: string };
    };
    if (body.error?.message !== undefined) {
      const { code, message, field, requestId } = body.error;
      return new ApiError(response.status, code ?? `HTTP_${response.status}`, message, field, requestId);
    }
  } catch {
    // Not JSON: an object store's XML error or a proxy's page.
  }
  const xmlCode = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  const xmlMessage = /<Message>([^<]+)<\/Message>/.exec(text)?.[1];
  const message = xmlMessage ?? (text.trim().slice(0, 200) || response.statusText || 'request failed');
  return new ApiError(response.status, xmlCode ?? `HTTP_${response.status}`, message);
}
