/**
 * The console's only way to the server: the public REST API under /v1, with the signed-in API key
 * as a bearer token, exactly as any other client calls it.
 */

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
  requestId?: string;
}

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

  /** The key itself was refused: only signing in again helps. */
  get refusedKey(): boolean {
    return this.status === 401;
  }
}

/** No answer at all (server down, network gone). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super(`Cannot reach the server (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'NetworkError';
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

export async function errorFrom(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as { error?: Partial<ApiErrorBody> } | null;
  const error = body?.error;
  return new ApiError(
    response.status,
    error?.code ?? `HTTP_${response.status}`,
    error?.message ?? `The server answered ${response.status} ${response.statusText}`,
    error?.field,
    error?.requestId ?? response.headers.get('x-request-id') ?? undefined,
  );
}

type Listener = (error: ApiError) => void;

export class ApiClient {
  private readonly refusedListeners = new Set<Listener>();

  constructor(readonly key: string) {}

  /** Called when the server refuses the key (revoked, expired, unknown). */
  onRefused(listener: Listener): () => void {
    this.refusedListeners.add(listener);
    return () => this.refusedListeners.delete(listener);
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.key}` };
  }

  async raw(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, {
        ...init,
        method,
        headers: { ...this.headers, ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new NetworkError(error);
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (error.refusedKey) for (const listener of this.refusedListeners) listener(error);
      throw error;
    }
    return response;
  }

  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    const response = await this.raw(method, path, {
      ...(signal !== undefined ? { signal } : {}),
      ...(body === undefined
        ? { headers }
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }),
    });
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.json<T>('GET', withQuery(path, query), undefined, {}, signal);
  }

  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.json<T>('POST', path, body, headers);
  }

  delete<T = void>(path: string): Promise<T> {
    return this.json<T>('DELETE', path);
  }
}

/** What to tell a person about an error: the API's message, and what to do about the usual ones. */
export function describeError(error: unknown): { title: string; detail: string; requestId?: string } {
  if (error instanceof ApiError) {
    const hint =
      error.status === 401
        ? 'Sign in again with a valid API key.'
        : error.status === 403
          ? 'Use a key with the scope this needs (ask an ADMIN key holder for one).'
          : error.status === 404
            ? 'It may have been deleted, or it belongs to another team.'
            : error.status === 429 || error.status >= 500
              ? 'Try again in a moment; if it persists, quote the request id to your operator.'
              : '';
    return {
      title: error.message,
      detail: hint,
      ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
    };
  }
  if (error instanceof NetworkError) {
    return { title: error.message, detail: 'Check that the CLSA service is running, then retry.' };
  }
  return { title: error instanceof Error ? error.message : String(error), detail: '' };
}
