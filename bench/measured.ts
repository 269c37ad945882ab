import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { bench } from 'vitest';

/**
 * A bench row whose samples are durations the benchmark measures itself (from server timestamps,
 * or from a request's scheduled send time) rather than the wall time of one call. tinybench times
 * each call with the `now` given here: a clock that only `measure`'s result moves, so each sample is
 * exactly one measured duration and the table's median and p99 (and latest.json's max) are theirs.
 * Whatever `measure` does before it returns (waiting, setting up) is not counted.
 */
export function measuredBench(
  name: string,
  measure: () => Promise<number>,
  opts: { iterations: number; warmupIterations?: number },
): void {
  let clock = 0;
  bench(
    name,
    // async, so that tinybench does not call it an extra time to see whether it returns a promise
    async () => {
      clock += await measure();
    },
    {
      now: () => clock,
      time: 0,
      warmupTime: 0,
      iterations: opts.iterations,
      warmupIterations: opts.warmupIterations ?? 0,
    },
  );
}

/** Samples taken together (one load run, one set of jobs) handed to a row one per call. */
export class SampleQueue {
  private samples: number[] | undefined;

  constructor(private readonly take: () => Promise<number[]>) {}

  async next(): Promise<number> {
    this.samples ??= await this.take();
    const sample = this.samples.shift();
    if (sample === undefined) throw new Error('more iterations than samples');
    return sample;
  }
}

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** As the bench table computes them: vitest's median, tinybench's nearest-rank p99. */
export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const at = (i: number) => s[Math.min(n - 1, Math.max(0, i))] ?? NaN;
  const round = (x: number) => Number(x.toFixed(2));
  return {
    count: n,
    p50: round(n % 2 === 1 ? at(Math.floor(n / 2)) : (at(n / 2) + at(n / 2 - 1)) / 2),
    p99: round(at(Math.ceil(n * 0.99) - 1)),
    max: round(at(n - 1)),
    mean: round(s.reduce((a, b) => a + b, 0) / n),
  };
}

export interface OpenLoopResult {
  /** ms from each request's scheduled send time to the end of its response, in schedule order. */
  latencies: number[];
  errors: string[];
  /** Requests per second actually sent (should equal the rate asked for). */
  sentPerSecond: number;
  /** The longest this client sent late: a stall of the machine rather than of the server. */
  clientMaxLagMs: number;
}

/**
 * GETs sent on a fixed schedule (request i at start + i / rate) whatever the server's pace: an open
 * model. A latency runs from the scheduled send time, so a stall (server or this client) counts
 * against every request scheduled behind it instead of silently lowering the rate (no coordinated
 * omission). Keep-alive connections, opened as needed.
 */
export async function openLoopGets(
  url: string,
  headers: Record<string, string>,
  rate: number,
  seconds: number,
): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = new Array<number>(total).fill(NaN);
  const errors: string[] = [];
  const inFlight: Promise<void>[] = [];
  const start = performance.now() + 20;
  const send = (i: number, scheduled: number) =>
    new Promise<void>((resolve) => {
      const req = http.get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies[i] = performance.now() - scheduled;
          if (res.statusCode !== 200) errors.push(`status ${res.statusCode}`);
          resolve();
        });
      });
      req.on('error', (err) => {
        errors.push(err.message);
        resolve();
      });
    });
  let sent = 0;
  let lag = 0;
  while (sent < total) {
    const now = performance.now();
    lag = Math.max(lag, now - (start + sent * interval));
    for (; sent < total && start + sent * interval <= now; sent++) inFlight.push(send(sent, start + sent * interval));
    const wait = start + sent * interval - performance.now();
    if (sent < total && wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const lastSent = performance.now();
  await Promise.all(inFlight);
  agent.destroy();
  return {
    latencies,
    errors,
    sentPerSecond: Number(((total - 1) / ((lastSent - start) / 1000)).toFixed(1)),
    clientMaxLagMs: Number(lag.toFixed(1)),
  };
}
