/**
 * A focused Dockerfile linter for deploy/docker/Dockerfile (no hadolint here: not in Debian, not
 * on npm or the Go proxy). It parses instructions and stages and reports what breaks the rules our
 * images promise: pinned bases, multi-stage builds, non-root users, health checks, exec-form
 * commands that receive SIGTERM, no remote ADD, apt hygiene, and COPY sources that exist and are
 * not excluded by .dockerignore.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string | undefined;
  /** The FROM reference with global ARG defaults substituted. */
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Map<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    // Comment lines are dropped, also inside a continued instruction (as Docker does).
    if (line === '' || line.startsWith('#')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1).trim() : line;
    pending = pending === undefined ? { text: body, line: index + 1 } : { ...pending, text: `${pending.text} ${body}` };
    if (continued) return;
    const [keyword = '', ...rest] = pending.text.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line });
    pending = undefined;
  });
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [ref = '', as, name] = instruction.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      const base = ref.replace(/\$\{?(\w+)\}?/g, (_, key: string) => args.get(key) ?? '');
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, base, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [key = '', value = ''] = instruction.args.split('=');
        args.set(key, value);
      }
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The stage and the stages it is built FROM, nearest first. */
function lineage(file: Dockerfile, stage: Stage): Stage[] {
  const chain = [stage];
  let current = stage;
  for (;;) {
    const parent = file.stages.find((s) => s.name === current.base);
    if (parent === undefined || chain.includes(parent)) return chain;
    chain.push(parent);
    current = parent;
  }
}

function last(chain: Stage[], keyword: string): Instruction | undefined {
  for (const stage of chain) {
    const found = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
    if (found !== undefined) return found;
  }
  return undefined;
}

export interface Target {
  /** The script `node` runs (CMD, exec form). */
  entrypoint: string;
}

export interface RuleOptions {
  targets: Record<string, Target>;
  /** Repository root, for COPY sources; undefined skips the file checks. */
  root?: string;
  dockerignore?: string;
}

export function dockerfileProblems(text: string, options: RuleOptions): string[] {
  const file = parseDockerfile(text);
  const problems: string[] = [];
  const stageNames = new Set(file.stages.map((s) => s.name));
  if (file.stages.length < 2) problems.push('not a multi-stage build (one FROM)');
  for (const stage of file.stages) {
    if (!stageNames.has(stage.base) && !isPinned(stage.base)) {
      problems.push(`FROM ${stage.base || '(empty)'}: pin the base image to a version tag or digest, never latest`);
    }
    for (const instruction of stage.instructions) problems.push(...instructionProblems(instruction, options));
  }
  const all = file.stages.flatMap((s) => s.instructions);
  const runs = all.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) problems.push('no build stage runs `npm ci`');
  if (!runs.some((r) => /\bnpm run build(?![:\w-])/.test(r))) problems.push('no build stage runs `npm run build`');
  if (!runs.some((r) => /\bnpm prune --omit=dev\b|\bnpm ci\b[^&]*--omit=dev/.test(r))) {
    problems.push('dev dependencies are never pruned (npm prune --omit=dev)');
  }
  for (const [name, target] of Object.entries(options.targets)) {
    const stage = file.stages.find((s) => s.name === name);
    if (stage === undefined) {
      problems.push(`no stage named ${name}`);
      continue;
    }
    problems.push(...targetProblems(name, target, lineage(file, stage)));
  }
  return problems;
}

function isPinned(ref: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
  const tag = /:([^/:]+)$/.exec(ref)?.[1];
  return tag !== undefined && tag !== 'latest' && /\d/.test(tag);
}

function instructionProblems(instruction: Instruction, options: RuleOptions): string[] {
  const { keyword, args, line } = instruction;
  const problems: string[] = [];
  if (keyword === 'ADD') {
    problems.push(
      /https?:\/\//.test(args)
        ? `line ${line}: ADD of a URL (unpinned, unverified download); fetch in a RUN with a checksum`
        : `line ${line}: ADD; use COPY (ADD also unpacks archives and fetches URLs)`,
    );
  }
  if (keyword === 'RUN' && /apt-get install/.test(args)) {
    if (!/--no-install-recommends/.test(args))
      problems.push(`line ${line}: apt-get install without --no-install-recommends`);
    if (!/rm -rf \/var\/lib\/apt\/lists/.test(args)) problems.push(`line ${line}: apt lists left in the layer`);
  }
  if (keyword === 'COPY' && options.root !== undefined && !/--from=/.test(args)) {
    const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
    for (const source of words.slice(0, -1)) {
      if (source === '.' || /[*?[]/.test(source)) continue;
      if (!existsSync(path.join(options.root, source)))
        problems.push(`line ${line}: COPY source ${source} does not exist`);
      else if (options.dockerignore !== undefined && isIgnored(source, options.dockerignore)) {
        problems.push(`line ${line}: COPY source ${source} is excluded by .dockerignore`);
      }
    }
  }
  return problems;
}

function targetProblems(name: string, target: Target, chain: Stage[]): string[] {
  const problems: string[] = [];
  const user = last(chain, 'USER');
  if (user === undefined) problems.push(`${name}: runs as root (no USER)`);
  else if (/^(0|root)(:|$)/.test(user.args)) problems.push(`${name}: USER ${user.args} is root`);
  else if (!/^\d+(:\d+)?$/.test(user.args)) {
    problems.push(`${name}: USER ${user.args} is not numeric (Kubernetes' runAsNonRoot cannot verify a name)`);
  }
  const health = last(chain, 'HEALTHCHECK');
  if (health === undefined || /^NONE\b/i.test(health.args)) problems.push(`${name}: no HEALTHCHECK`);
  else if (!/\bCMD\b/.test(health.args)) problems.push(`${name}: HEALTHCHECK without CMD`);
  const cmd = last(chain, 'CMD');
  const exec = cmd === undefined ? undefined : parseExecForm(cmd.args);
  if (cmd === undefined) problems.push(`${name}: no CMD`);
  else if (exec === undefined) {
    problems.push(`${name}: CMD in shell form; use the exec form so that node itself receives SIGTERM`);
  } else if (exec[0] !== 'node' || !exec.includes(target.entrypoint)) {
    problems.push(`${name}: CMD ${cmd.args} does not run node ${target.entrypoint}`);
  }
  if (
    chain.some((s) => s.instructions.some((i) => i.keyword === 'ENTRYPOINT' && parseExecForm(i.args) === undefined))
  ) {
    problems.push(`${name}: ENTRYPOINT in shell form`);
  }
  const env = chain.flatMap((s) => s.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args)).join(' ');
  if (!/NODE_ENV=production/.test(env)) problems.push(`${name}: NODE_ENV=production is not set`);
  if (chain[0]?.instructions.some((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args))) {
    problems.push(`${name}: installs packages in the runtime stage; copy them from a build stage`);
  }
  return problems;
}

function parseExecForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** .dockerignore patterns (no `!` exceptions used here): a path matches a pattern or sits under it. */
export function isIgnored(file: string, dockerignore: string): boolean {
  const normal = file.replace(/^\.\//, '').replace(/\/$/, '');
  return dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .some((pattern) => {
      const p = pattern.replace(/^\//, '').replace(/\/$/, '');
      if (p.includes('*')) {
        const regex = new RegExp(
          `^${p
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*\*\//g, '(.*/)?')
            .replace(/\*/g, '[^/]*')}(/|$)`,
        );
        return regex.test(normal);
      }
      return normal === p || normal.startsWith(`${p}/`);
    });
}
