import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { bench, describe } from 'vitest';

/**
 * The PyTorch reference: bench/reference/clsa_torch_reference.py times, with PyTorch + torchvision
 * + Pillow on this machine, the work clsa-data.bench.ts (weak 224 + strong 96 views from 256 px
 * JPEGs) and clsa-train.bench.ts (query steps, a CLSA step) time for our engine, plus views at
 * 224 and 96 px. It runs only where a python3 imports torch, torchvision and PIL (BENCH_PYTHON
 * names the interpreter; on Debian `apt-get install python3-torch python3-torchvision
 * python3-pil`); elsewhere (CI) the bench says why and records that instead. Its figures go to
 * bench-results/reference.json, which `npm run bench` prints after the medians and merges into
 * bench-results/latest.json under "external". The one timed run below is the script's wall time,
 * a few minutes on 2 cores; BENCH_REFERENCE_ARGS passes options to it (e.g. "--steps 1").
 */
const SCRIPT = 'bench/reference/clsa_torch_reference.py';
const OUTPUT = 'bench-results/reference.json';

/** The first interpreter that has the reference's packages, or why there is none. */
function findPython(): { python: string } | { reason: string } {
  const candidates = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch, torchvision, PIL'], { encoding: 'utf8' });
    if (probe.status === 0) return { python };
  }
  return { reason: `no python3 with torch, torchvision and PIL (tried ${candidates.join(', ')})` };
}

function record(content: object): void {
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(OUTPUT, `${JSON.stringify({ recordedAt: new Date().toISOString(), ...content }, null, 2)}\n`);
}

async function runReference(python: string): Promise<void> {
  const args = (process.env.BENCH_REFERENCE_ARGS ?? '').split(' ').filter(Boolean);
  // progress (stderr) shows as it runs; the figures (stdout) are one JSON object
  const child = spawn(python, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${SCRIPT} exited with ${String(code)}`);
  record({ available: true, python, args, figures: JSON.parse(stdout) as object });
}

const found = findPython();
if ('reason' in found) {
  console.warn(`PyTorch reference unavailable: ${found.reason}; recorded in ${OUTPUT}`);
  record({ available: false, reason: found.reason });
}

describe('PyTorch reference (figures: bench-results/reference.json)', () => {
  // exactly one run: no warm-up, and an async function, which tinybench does not call an extra
  // time to find out whether it returns a promise
  const options = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
  if ('python' in found) {
    const { python } = found;
    bench(
      `whole reference run, wall time (${python})`,
      async () => {
        await runReference(python);
      },
      options,
    );
  } else {
    bench.skip(`unavailable: ${found.reason}`, () => undefined);
  }
});
