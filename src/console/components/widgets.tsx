import type { ReactNode } from 'react';

const TONES: Record<string, string> = {
  READY: 'ok',
  SUCCEEDED: 'ok',
  UPLOADED: 'ok',
  RUNNING: 'busy',
  VALIDATING: 'busy',
  UPLOADING: 'busy',
  CANCELLING: 'warn',
  QUEUED: 'idle',
  FAILED: 'bad',
  LOST: 'bad',
  CANCELLED: 'muted',
  ABORTED: 'muted',
  RELEASED: 'muted',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${TONES[status] ?? 'idle'}`}>{status.toLowerCase()}</span>;
}

export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  const value = Math.max(0, Math.min(1, fraction));
  return (
    <div className="progress">
      <progress max={1} value={value} aria-label={label} />
      <span>{(value * 100).toFixed(value < 0.1 ? 1 : 0)} %</span>
    </div>
  );
}

export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p className="field-error" id={id} role="alert">
      {message}
    </p>
  );
}

/** A two-step button for destructive actions: no modal dialog, still keyboard-friendly. */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  busy,
}: {
  label: string;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
}) {
  return (
    <details className="confirm">
      <summary className="button danger">{label}</summary>
      <div className="confirm-box">
        <span>{confirmLabel}</span>
        <button type="button" className="danger" onClick={onConfirm} disabled={busy === true}>
          Yes, {label.toLowerCase()}
        </button>
      </div>
    </details>
  );
}
