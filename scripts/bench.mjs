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
const failed = [];
for (const file of report.files) {
  for (const group of file.groups) {
    // A benchmark that threw has no statistics: list it instead of the table breaking on it.
    const measured = group.benchmarks.filter((b) => typeof b.median === 'number');
    for (const b of group.benchmarks) if (!measured.includes(b)) failed.push(`${group.fullName} > ${b.name}`);
    const fastest = Math.min(...measured.map((b) => b.median));
    for (const b of measured) {
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
if (failed.length > 0) console.log(`Failed (no figures; see the output above):\n  ${failed.join('\n  ')}`);

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
    printRatios(figures);
  }
}

/** Our images/s over PyTorch's for the same work, from the same run (ratio > 1: we are faster). */
function printRatios(figures) {
  const pairs = [
    [
      'ResNet-18',
      'query step (fwd + bwd + SGD), wasm',
      figures.training.find((t) => /^ResNet-18.*query step$/.test(t.name)),
    ],
    ['ResNet-18', 'CLSA step', figures.training.find((t) => t.name.includes('CLSA step'))],
    ['ResNet-50', 'query step (fwd + bwd + SGD), wasm', figures.training.find((t) => t.name.startsWith('ResNet-50'))],
    [
      'weak 224 + strong 96',
      'in the calling thread',
      figures.augmentation.find((a) => a.name.startsWith('single-crop')),
    ],
    ['weak 224 + strong 96', 'pool of 2 worker threads', figures.loader],
  ];
  const table = [];
  for (const [groupPart, namePart, reference] of pairs) {
    const ours = rows.find((r) => r.group.includes(groupPart) && r.benchmark.startsWith(namePart));
    if (ours === undefined || reference === undefined) continue;
    // Images per timed iteration: "batch N" in the benchmark's or group's name, or "N JPEGs".
    const images = Number(
      (/batch (\d+)/.exec(ours.benchmark) ?? /batch (\d+)/.exec(ours.group) ?? /(\d+) JPEGs/.exec(ours.group))?.[1],
    );
    const oursPerSecond = images / (ours['median ms'] / 1000);
    table.push({
      ours: `${ours.group} > ${ours.benchmark}`,
      'ours images/s': Number(oursPerSecond.toFixed(2)),
      pytorch: reference.name,
      'pytorch images/s': reference.images_per_s,
      ratio: `${(oursPerSecond / reference.images_per_s).toFixed(2)}x`,
    });
  }
  console.log('\nOurs vs the PyTorch reference, measured in this run:');
  console.table(table);
}
