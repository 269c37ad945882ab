import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** One `--set key=value`: a dotted path into the CLSA config and the parsed value. */
export interface ConfigSetting {
  path: string[];
  value: unknown;
}

type Config = Record<string, unknown>;

const SEGMENT = /^[A-Za-z_$][\w$-]*$/;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;

/** `--config`: a JSON object inline, or `@file.json` to read one from a file. */
export function parseConfigOption(value: string): Config {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(
        `cannot read ${value.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError('must be a JSON object of CLSA settings, e.g. {"epochs": 20}');
  return parsed as Config;
}

/** `--set a.b=value`, repeatable: numbers, booleans and null are parsed, `[`/`{`/`"` values as JSON. */
export function collectSetting(raw: string, previous: ConfigSetting[] = []): ConfigSetting[] {
  const at = raw.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`"${raw}" is not key=value (e.g. encoder.baseWidth=16)`);
  const path = raw.slice(0, at).trim().split('.');
  const bad = path.find((segment) => !SEGMENT.test(segment) || FORBIDDEN.has(segment));
  if (bad !== undefined) throw new InvalidArgumentError(`"${raw.slice(0, at)}" is not a dotted config key`);
  return [...previous, { path, value: parseValue(raw.slice(at + 1).trim()) }];
}

function parseValue(text: string): unknown {
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null') return null;
  if (NUMBER.test(text)) return Number(text);
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      throw new InvalidArgumentError(`${text} is not valid JSON`);
    }
  }
  return text;
}

/** `--config` with each `--set` laid over it; throws InvalidArgumentError when a key runs through a value. */
export function buildConfig(base: Config | undefined, settings: readonly ConfigSetting[]): Config | undefined {
  if (settings.length === 0) return base;
  const config = structuredClone(base ?? {});
  for (const { path, value } of settings) {
    let node: Config = config;
    for (const [i, key] of path.slice(0, -1).entries()) {
      const child = Object.hasOwn(node, key) ? node[key] : undefined;
      if (child === undefined) node[key] = {};
      else if (typeof child !== 'object' || child === null || Array.isArray(child))
        throw new InvalidArgumentError(`--set ${path.join('.')}: ${path.slice(0, i + 1).join('.')} is not an object`);
      node = node[key] as Config;
    }
    node[path.at(-1) as string] = value;
  }
  return config;
}

export function integerIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function oneOf(allowed: readonly string[]) {
  return (value: string): string => {
    const upper = value.toUpperCase();
    if (!allowed.includes(upper)) throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`);
    return upper;
  };
}
