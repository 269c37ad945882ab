import cliProgress from 'cli-progress';

/** One phase of work measured in bytes: hashing, uploading parts, streaming a tar. */
export interface ProgressBar {
  add(bytes: number): void;
  done(): void;
}

export interface Reporter {
  /** `totalBytes` undefined: the size is not known up front (a directory packed on the fly). */
  start(label: string, totalBytes: number | undefined, alreadyDone?: number): ProgressBar;
  /** A line of its own (retries, resume notices), never mixed into a bar. */
  note(message: string): void;
}

export interface ReporterStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const PLAIN_INTERVAL_MS = 2000;

/** A cli-progress bar on a terminal, otherwise a plain line at most every two seconds and at the end. */
export function createReporter(stream: ReporterStream, quiet = false): Reporter {
  if (quiet) return { start: () => ({ add: () => {}, done: () => {} }), note: () => {} };
  const tty = stream.isTTY === true;
  return {
    start: (label, total, already = 0) =>
      tty ? terminalBar(stream, label, total, already) : plainBar(stream, label, total, already),
    note: (message) => {
      stream.write(`${tty ? '\r\x1b[K' : ''}${message}\n`);
    },
  };
}

function terminalBar(stream: ReporterStream, label: string, total: number | undefined, already: number): ProgressBar {
  const format =
    total === undefined
      ? `${label} {done} | {speed}`
      : `${label} [{bar}] {percentage}% | {done}/{size} | {speed} | ETA {eta_formatted}`;
  const bar = new cliProgress.SingleBar({ format, stream: stream as NodeJS.WritableStream, fps: 5 });
  const started = Date.now();
  let value = already;
  const payload = () => ({
    done: formatBytes(value),
    size: formatBytes(total ?? 0),
    speed: speed(value - already, started),
  });
  bar.start(total ?? 0, value, payload());
  return {
    add: (bytes) => {
      value += bytes;
      bar.update(value, payload());
    },
    done: () => {
      bar.update(value, payload());
      bar.stop();
    },
  };
}

function plainBar(stream: ReporterStream, label: string, total: number | undefined, already: number): ProgressBar {
  const started = Date.now();
  let value = already;
  let printed = 0;
  const line = () => {
    const of =
      total === undefined ? '' : ` / ${formatBytes(total)} (${Math.floor((value / Math.max(total, 1)) * 100)}%)`;
    stream.write(`${label}: ${formatBytes(value)}${of}, ${speed(value - already, started)}\n`);
    printed = Date.now();
  };
  return {
    add: (bytes) => {
      value += bytes;
      if (Date.now() - printed >= PLAIN_INTERVAL_MS) line();
    },
    done: line,
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function speed(bytes: number, since: number): string {
  const seconds = Math.max((Date.now() - since) / 1000, 0.001);
  return `${formatBytes(Math.round(bytes / seconds))}/s`;
}
