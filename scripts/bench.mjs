// `npm run bench [-- FILTER...]`: builds, runs the matching benchmark files under bench/ (all when
// no filter), then prints one table of medians with each row's ratio to the fastest of its group,
// measured side by side in the same run. Raw results: bench-results/latest.json. Figures a bench
// file records from outside vitest during the run (bench/reference.bench.ts: the PyTorch
// reference) are printed after the medians and kept in latest.json under "external".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const filters = process.argv.slice(2);
const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run('npm', ['run', 'build']);
const started = Date.now();
run('vitest', ['bench', '--run', '--config', 'vitest.bench.config.ts', ...filters]);

const report = JSON.parse(readFileSync('bench-results/latest.json', 'utf8'));
const rows = [];
for (const file of report.files) {
  for (const group of file.groups) {
    const fastest = Math.min(...group.benchmarks.map((b) => b.median));
    for (const b of group.benchmarks) {
      rows.push({
        group: group.fullName.split(' > ').slice(1).join(' > '),
        benchmark: b.name,
        'median ms': Number(b.median.toFixed(2)),
        'p99 ms': Number(b.p99.toFixed(2)),
        samples: b.sampleCount ?? b.samples?.length,
        'vs fastest': `${(b.median / fastest).toFixed(2)}x`,
      });
    }
  }
}
console.log('\nMedians (bench-results/latest.json has every statistic):');
console.table(rows);

const REFERENCE = 'bench-results/reference.json';
if (existsSync(REFERENCE) && statSync(REFERENCE).mtimeMs >= started) {
  const reference = JSON.parse(readFileSync(REFERENCE, 'utf8'));
  report.external = { reference };
  writeFileSync('bench-results/latest.json', JSON.stringify(report));
  const { available, reason, figures } = reference;
  const about = available ? `torch ${figures.versions.torch}, training threads ${figures.threads.training}` : reason;
  console.log(`\nPyTorch reference (bench/reference/, ${available ? about : `unavailable: ${about}`}):`);
  if (available) {
    const views = [...figures.augmentation, ...(figures.loader ? [figures.loader] : [])];
    const table = views.map((a) => ({ figure: `views: ${a.name}`, 'images/s': a.images_per_s }));
    for (const t of figures.training) table.push({ figure: t.name, 'images/s': t.images_per_s, 'step s': t.step_s });
    console.table(table);
    console.log('peak RSS MiB per section:', figures.peak_rss_mib);
  }
}
