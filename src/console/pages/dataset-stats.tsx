import type { Dataset } from '../api/types';
import { bytes, count, num } from '../lib/format';

/** What validation measured: labels with their counts, image sizes, formats, channel statistics. */
export function DatasetStats({ dataset }: { dataset: Dataset }) {
  const summary = dataset.summary ?? {};
  const classCounts = summary.classCounts ?? [];
  const biggest = Math.max(1, ...classCounts);
  const histogram = summary.sizeHistogram ?? [];
  const tallest = Math.max(1, ...histogram.map((b) => b.count));
  return (
    <>
      <h2>Labels</h2>
      {dataset.labels.length === 0 ? (
        <p className="muted">Unlabelled: the archive had no class folders (or .cls files).</p>
      ) : (
        <ul className="bars" aria-label="Images per label">
          {dataset.labels.map((label, i) => (
            <li key={label}>
              <span className="bar-label">{label}</span>
              <meter min={0} max={biggest} value={classCounts[i] ?? 0} aria-label={`${label} images`} />
              <span className="num">{count(classCounts[i])}</span>
            </li>
          ))}
        </ul>
      )}
      <h2>Statistics</h2>
      <div className="stats-grid">
        <div>
          <h3>Longer side</h3>
          <ul className="bars">
            {histogram.map((b) => (
              <li key={String(b.maxSide)}>
                <span className="bar-label">{b.maxSide === null ? 'larger' : `≤ ${b.maxSide} px`}</span>
                <meter min={0} max={tallest} value={b.count} aria-label={`images up to ${b.maxSide ?? 'any'} px`} />
                <span className="num">{count(b.count)}</span>
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h3>Formats and pixels</h3>
          <dl className="facts compact">
            {Object.entries(summary.formatCounts ?? {}).map(([format, n]) => (
              <div key={format}>
                <dt>{format}</dt>
                <dd>{count(n)}</dd>
              </div>
            ))}
            <div>
              <dt>Channel mean (RGB)</dt>
              <dd>{(summary.channelMean ?? []).map(num).join(' / ') || '—'}</dd>
            </div>
            <div>
              <dt>Channel std (RGB)</dt>
              <dd>{(summary.channelStd ?? []).map(num).join(' / ') || '—'}</dd>
            </div>
            <div>
              <dt>Skipped (not images)</dt>
              <dd>{count(summary.skippedCount)}</dd>
            </div>
          </dl>
        </div>
      </div>
      {(summary.archives ?? []).length > 0 && (
        <>
          <h3>Archives</h3>
          <ul className="plain">
            {(summary.archives ?? []).map((a) => (
              <li key={a.name}>
                {a.name} · {a.kind} · {bytes(a.bytes)} · <code className="hash">sha256 {a.sha256}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
