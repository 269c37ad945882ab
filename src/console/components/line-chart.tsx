import { num } from '../lib/format';

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };
const MAX_POINTS = 600;

/** Round tick steps (1, 2, 5 × 10^k) covering [min, max] with about `count` ticks. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Every k-th point (and always the last), so long runs stay cheap to draw. */
export function thin<T>(points: readonly T[], max = MAX_POINTS): readonly T[] {
  if (points.length <= max) return points;
  const stride = Math.ceil(points.length / max);
  const kept = points.filter((_, i) => i % stride === 0);
  const last = points.at(-1);
  if (last !== undefined && kept.at(-1) !== last) kept.push(last);
  return kept;
}

function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 || 1;
    hi += Math.abs(hi) * 0.1 || 1;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/**
 * A small SVG line chart: one shared x axis (steps), one y axis, a legend. Drawn by hand; the
 * console needs nothing heavier. The latest values are also given as text for screen readers.
 */
export function LineChart({ title, series, xLabel = 'step' }: { title: string; series: Series[]; xLabel?: string }) {
  const drawn = series.map((s) => ({ ...s, points: thin(s.points) }));
  const xs = drawn.flatMap((s) => s.points.map((p) => p[0]));
  const ys = drawn.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = xs.length === 0 ? [0, 1] : [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [y0, y1] = extent(ys);
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (WIDTH - PAD.left - PAD.right);
  const sy = (y: number) => HEIGHT - PAD.bottom - ((y - y0) / (y1 - y0)) * (HEIGHT - PAD.top - PAD.bottom);
  const latest = series
    .map((s) => {
      const last = s.points.at(-1);
      return last === undefined ? null : `${s.name} ${num(last[1])} at ${xLabel} ${last[0]}`;
    })
    .filter((t): t is string => t !== null);
  const label = latest.length === 0 ? `${title}: no data yet` : `${title}: ${latest.join(', ')}`;
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">{title}</span>
        <span className="legend">
          {series.map((s, i) => (
            <span key={s.name} className={`key s${i}`}>
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} data-points={xs.length}>
        {ticks(y0, y1, 4).map((t) => (
          <g key={`y${t}`} className="grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={sy(t)} y2={sy(t)} />
            <text x={PAD.left - 6} y={sy(t)} textAnchor="end" dominantBaseline="middle">
              {num(t)}
            </text>
          </g>
        ))}
        {ticks(x0, x1, 6)
          .filter((t) => Number.isInteger(t))
          .map((t) => (
            <text key={`x${t}`} className="axis" x={sx(t)} y={HEIGHT - 8} textAnchor="middle">
              {t}
            </text>
          ))}
        {drawn.map((s, i) =>
          s.points.length === 0 ? null : (
            <polyline
              key={s.name}
              className={`line s${i}`}
              data-series={s.name}
              points={s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}
            />
          ),
        )}
        {xs.length === 0 && (
          <text className="axis" x={WIDTH / 2} y={HEIGHT / 2} textAnchor="middle">
            Waiting for the first training step…
          </text>
        )}
      </svg>
    </figure>
  );
}
