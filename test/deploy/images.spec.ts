import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './deploy-tools.js';
import { dockerfileProblems, isIgnored, parseDockerfile, type RuleOptions } from './dockerfile-rules.js';

/**
 * deploy/docker/Dockerfile against our image rules (test/deploy/dockerfile-rules.ts), the rules
 * themselves against broken variants, and .dockerignore against what the build needs.
 */
const dockerfilePath = path.join(repoRoot, 'deploy/docker/Dockerfile');
const dockerfile = readFileSync(dockerfilePath, 'utf8');
const dockerignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8');

const TARGETS: RuleOptions['targets'] = {
  api: { entrypoint: 'dist/src/main.js' },
  worker: { entrypoint: 'dist/src/worker.js' },
  'worker-gpu': { entrypoint: 'dist/src/worker.js' },
};
const options: RuleOptions = { targets: TARGETS, root: repoRoot, dockerignore };

describe('deploy/docker/Dockerfile', () => {
  it('follows the image rules', () => {
    expect(dockerfileProblems(dockerfile, options)).toEqual([]);
  });

  it('builds api and workers from one build stage that runs npm ci and npm run build', () => {
    const { stages } = parseDockerfile(dockerfile);
    const build = stages.find((s) => s.name === 'build');
    const runs = build?.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args) ?? [];
    expect(runs.join('\n')).toMatch(/npm ci/);
    expect(runs.join('\n')).toMatch(/npm run build && npm prune --omit=dev/);
    expect(stages.find((s) => s.name === 'runtime')?.base).toBe(build?.base);
  });

  it('the GPU worker has CUDA 11 with cuDNN 8 for libtensorflow 2.9 and tfjs-node-gpu with its install script', () => {
    const { stages } = parseDockerfile(dockerfile);
    const gpu = stages.find((s) => s.name === 'worker-gpu');
    // libtensorflow 2.9.1 (tfjs-node-gpu 4.22) links CUDA 11 (>= 11.2) and cuDNN 8.
    expect(gpu?.base).toMatch(/^nvidia\/cuda:11\.([2-9]|1\d)\.\d+-cudnn8-runtime-ubuntu\d+\.\d+$/);
    const deps = stages.find((s) => s.name === 'gpu-deps');
    const install = deps?.instructions.find((i) => i.keyword === 'RUN')?.args ?? '';
    // npm 11 skips dependency install scripts unless allowed (and refuses --allow-scripts in a
    // project): without the .npmrc entry no libtensorflow arrives.
    expect(install).toMatch(/echo "allow-scripts=@tensorflow\/tfjs-node-gpu" >> \.npmrc/);
    expect(install).toMatch(
      /npm install --no-save --omit=dev "@tensorflow\/tfjs-node-gpu@\$\{TFJS_NODE_GPU_VERSION\}"/,
    );
    expect(install).toMatch(/tfjs_binding\.node/);
    expect(install).toMatch(/libtensorflow\.so\.2/);
    const cmd = gpu?.instructions.find((i) => i.keyword === 'CMD')?.args ?? '';
    expect(cmd).toMatch(/--import=\/app\/deploy\/docker\/node-util-compat\.mjs/);
  });

  it.each([
    [
      'a root user',
      (d: string) => d.replace('FROM runtime AS api', 'FROM runtime AS api\nUSER root'),
      /api: USER root is root/,
    ],
    ['no user at all', (d: string) => d.replaceAll(/^USER .*$/gm, ''), /worker: runs as root \(no USER\)/],
    ['a named user', (d: string) => d.replace('USER 1000:1000', 'USER node'), /not numeric/],
    [
      'an unpinned base',
      (d: string) => d.replace(/^ARG NODE_IMAGE=.*$/m, 'ARG NODE_IMAGE=node:latest'),
      /pin the base image/,
    ],
    [
      'an untagged base',
      (d: string) => d.replace(/^ARG CUDA_IMAGE=.*$/m, 'ARG CUDA_IMAGE=nvidia/cuda'),
      /nvidia\/cuda: pin/,
    ],
    ['no health check', (d: string) => d.replaceAll(/^HEALTHCHECK[^\n]*\\\n[^\n]*$/gm, ''), /api: no HEALTHCHECK/],
    [
      'a shell-form CMD',
      (d: string) => d.replace('CMD ["node", "dist/src/main.js"]', 'CMD node dist/src/main.js'),
      /shell form/,
    ],
    [
      'a remote ADD',
      (d: string) => d.replace('WORKDIR /app', 'WORKDIR /app\nADD https://example.com/x.tgz /x'),
      /ADD of a URL/,
    ],
    ['one stage only', (d: string) => d.split('\nFROM ').slice(0, 1).join(''), /not a multi-stage build/],
    ['no npm run build', (d: string) => d.replace('npm run build && ', ''), /`npm run build`/],
    [
      'apt without cleanup',
      (d: string) => d.replace('WORKDIR /app', 'RUN apt-get install -y curl\nWORKDIR /app'),
      /--no-install-recommends/,
    ],
    [
      'a missing COPY source',
      (d: string) => d.replace('deploy/docker/migrate.mjs', 'deploy/docker/migrat.mjs'),
      /does not exist/,
    ],
  ])('the rules catch %s', (_, breakIt, problem) => {
    const broken = breakIt(dockerfile);
    expect(broken).not.toBe(dockerfile);
    expect(dockerfileProblems(broken, options).join('\n')).toMatch(problem);
  });

  it('the rules catch a COPY source that .dockerignore excludes', () => {
    expect(
      dockerfileProblems(dockerfile, { ...options, dockerignore: `${dockerignore}\ndeploy/docker\n` }).join('\n'),
    ).toMatch(/excluded by .dockerignore/);
  });
});

describe('.dockerignore', () => {
  it('keeps local builds, state and VCS data out of the context', () => {
    for (const file of ['node_modules', 'dist', '.git', '.clsa', 'src/generated', '.env']) {
      expect(isIgnored(file, dockerignore), file).toBe(true);
    }
  });

  it('sends everything `npm ci` and `npm run build` need', () => {
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/main.ts'];
    needed.push('prisma/schema.prisma', 'proto', 'scripts/prisma-generate.mjs', 'deploy/docker/healthcheck.mjs');
    for (const file of needed) expect(isIgnored(file, dockerignore), file).toBe(false);
  });
});

describe('deploy/docker scripts', () => {
  it('the worker health check is valid POSIX shell', () => {
    const result = spawnSync('sh', ['-n', path.join(repoRoot, 'deploy/docker/worker-healthcheck.sh')], {
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
  });
});
