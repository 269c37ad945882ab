// `npm run bench [-- FILTER...]`: builds, runs the matching benchmark files under bench/ (all when
// no filter), then prints one table of medians with each row's ratio to the fastest of its group,
// measured side by side in the same run. Raw results: bench-results/latest.json.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const filters = process.argv.slice(2);
const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run('npm', ['run', 'build']);
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
