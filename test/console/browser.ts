import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { findProjectRoot } from '../../src/common/project-root.js';

/** Debian's chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTEFACTS = path.join(findProjectRoot(), 'test-results', 'console');

/** Why the browser tests cannot run here, or null when they can; under CI a missing browser is a failure. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `no browser at ${CHROMIUM} (install it with scripts/ci/install-chromium.sh)`;
  if (process.env.CI === 'true') throw new Error(`CI must run the console's browser tests, but ${reason}`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface ConsoleWatch {
  /** Console errors and uncaught exceptions not explained by an expected failing request. */
  unexpected(): string[];
  /** Requests the test provokes to fail on purpose (e.g. a validation error): their console lines are fine. */
  expectFailure(match: (url: string, status: number) => boolean): void;
}

/** Collects what the page writes to the console as errors, and the exceptions it throws. */
export function watchConsole(page: Page): ConsoleWatch {
  const errors: { text: string; url: string }[] = [];
  const failed: { url: string; status: number }[] = [];
  const expected: ((url: string, status: number) => boolean)[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => errors.push({ text: `uncaught: ${error.message}`, url: '' }));
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push({ url: response.url(), status: response.status() });
  });
  const explained = (error: { text: string; url: string }) =>
    /^Failed to load resource/.test(error.text) &&
    failed.some((f) => f.url === error.url && expected.some((ok) => ok(f.url, f.status)));
  return {
    unexpected: () => errors.filter((e) => !explained(e)).map((e) => `${e.text} ${e.url}`.trim()),
    expectFailure: (match) => expected.push(match),
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTEFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTEFACTS, `${name}.png`), fullPage: true });
}

export interface BundleSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** The built console's JavaScript and CSS, raw and gzipped (what a first visit downloads). */
export async function bundleSizes(dir = path.join(findProjectRoot(), 'dist', 'console')): Promise<BundleSize[]> {
  const files = (await readdir(path.join(dir, 'assets'))).filter((f) => /\.(js|css)$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const body = await readFile(path.join(dir, 'assets', file));
      return { file, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
    }),
  );
}

export async function writeReport(name: string, value: unknown): Promise<void> {
  await mkdir(ARTEFACTS, { recursive: true });
  await writeFile(path.join(ARTEFACTS, name), `${JSON.stringify(value, null, 2)}\n`);
}
