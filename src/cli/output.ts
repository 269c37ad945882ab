import type { Dataset } from './datasets-api.js';
import { formatBytes } from './progress.js';

export function datasetTable(datasets: readonly Dataset[]): string {
  const header = ['ID', 'NAME', 'STATUS', 'LAYOUT', 'SIZE', 'IMAGES', 'CREATED'];
  const rows = datasets.map((d) => [
    d.id,
    d.name,
    d.status,
    d.layout,
    formatBytes(d.sizeBytes),
    String(d.imageCount),
    d.createdAt,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function datasetDetails(d: Dataset): string {
  const fields: [string, string | number | null][] = [
    ['id', d.id],
    ['name', d.name],
    ['description', d.description],
    ['status', d.status],
    ['layout', d.layout],
    ['size', formatBytes(d.sizeBytes)],
    ['images', d.imageCount],
    ['rejected', d.rejectedCount],
    ['classes', d.classCount],
    ['failure', d.failureReason],
    ['created', d.createdAt],
    ['ready', d.readyAt],
  ];
  return (
    fields
      .filter(([, value]) => value !== null && value !== '')
      .map(([name, value]) => `${`${name}:`.padEnd(13)}${value}`)
      .join('\n') + '\n'
  );
}

export function asJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
