import type { ReactNode } from 'react';
import { describeError } from '../api/client';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { title, detail, requestId } = describeError(error);
  return (
    <div className="state error" role="alert">
      <strong>{title}</strong>
      {detail !== '' && <p>{detail}</p>}
      {requestId !== undefined && <p className="muted">Request id: {requestId}</p>}
      {onRetry !== undefined && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children !== undefined && <div>{children}</div>}
    </div>
  );
}

/** Shows loading, error or the content; keeps showing old content while a refresh fails. */
export function Loaded<T>({
  resource,
  what,
  children,
}: {
  resource: { data: T | undefined; error: unknown; reload: () => void };
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (resource.data === undefined) {
    return resource.error !== null ? (
      <ErrorState error={resource.error} onRetry={resource.reload} />
    ) : (
      <Loading what={what} />
    );
  }
  return (
    <>
      {resource.error !== null && <ErrorState error={resource.error} onRetry={resource.reload} />}
      {children(resource.data)}
    </>
  );
}
