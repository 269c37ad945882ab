import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFolderTar, jpeg } from '../support/dataset-fixtures.js';
import { processesMentioning, spawnServer, type ServerProcess } from '../support/server-process.js';
import {
  browserMissing,
  bundleSizes,
  launchChromium,
  screenshot,
  watchConsole,
  writeReport,
  type ConsoleWatch,
} from './browser.js';

/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the real
 * server on the embedded default, as a person uses it: sign in, upload a dataset (interrupted by a
 * reload and resumed, and another one cancelled), train a small CPU job while its loss chart moves,
 * look at the encoder, embed an image and find its nearest images in an export, create and revoke an API key. Every main page is
 * screenshotted to test-results/console/, its load time measured, and the console must log no error.
 */
const missing = browserMissing();
if (missing !== null) console.log(`[console e2e] skipped: ${missing}`);

const READY = /CLSA service listening on (http:\/\/[^\s]+) \(gRPC/;
const FIRST_KEY = /First admin API key[^\n]*\n\s+(clsa_\S+)/;

describe.skipIf(missing !== null)('web console in chromium', () => {
  let stateDir: string;
  let server: ServerProcess;
  let url: string;
  let key: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: ConsoleWatch;
  let archive: string;
  const ids: { dataset?: string; job?: string; encoder?: string } = {};
  const loadTimes: Record<string, number> = {};

  const api = async <T>(route: string, init: RequestInit = {}, token = key): Promise<{ status: number; body: T }> => {
    const headers = { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) };
    const res = await fetch(`${url}${route}`, { ...init, headers });
    return { status: res.status, body: (await res.json().catch(() => null)) as T };
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-console-'));
    await chmod(stateDir, 0o711);
    server = spawnServer({ CLSA_STATE_DIR: stateDir, HTTP_PORT: '0', GRPC_PORT: '0' });
    [, url = ''] = await server.waitFor(READY, 120_000);
    [, key = ''] = await server.waitFor(FIRST_KEY);
    // A labelled archive with one file that is not an image: it shows up as a rejected file.
    const tar = await imageFolderTar({ cat: 12, dog: 12 }, [
      { name: 'cat/notes.jpg', body: Buffer.from('not a jpeg') },
    ]);
    archive = path.join(stateDir, 'pets.tar');
    await writeFile(archive, tar);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watch = watchConsole(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
    for (const pid of processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  /** A fresh navigation to `route`, timed until `visible` shows (what a person waits for). */
  async function visit(name: string, route: string, visible: () => Promise<void>): Promise<void> {
    const started = performance.now();
    await page.goto(`${url}${route}`);
    await visible();
    loadTimes[name] = Math.round(performance.now() - started);
    await screenshot(page, name);
  }

  it('signs in with the keyboard and keeps the key for this tab only', async () => {
    await page.goto(url);
    await page.getByLabel('API key').waitFor();
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('clsa_nope_wrong');
    await page.keyboard.press('Enter');
    watch.expectFailure((u, status) => u.endsWith('/v1/team') && status === 401);
    await page.locator('#api-key-error').waitFor();
    await page.getByLabel('API key').fill(key);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('clsa.apiKey'))).toBe(key);
    // Keyboard: the skip link, then the console's own links, are reachable with Tab.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  });

  it('shows empty states that say what to do', async () => {
    await visit('datasets-empty', '/datasets', () => page.getByText('No datasets yet').waitFor());
    await visit('jobs-empty', '/jobs', () => page.getByText('No jobs yet').waitFor());
  });

  it('uploads a dataset through an upload session, resumes it after a reload, and cancels another', async () => {
    await page.goto(`${url}/datasets/upload`);
    // Hold the part back, then reload mid-upload: the session is remembered.
    await page.route('**/uploads/*/parts/*', () => undefined);
    await page.getByLabel('Archive').setInputFiles(archive);
    await page.getByLabel('Name').fill('pets');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByLabel('Upload progress').waitFor();
    await page.getByText(/Uploading: 0 B/).waitFor();
    await page.reload();
    await page.unroute('**/uploads/*/parts/*');
    await page.getByText('Interrupted uploads').waitFor();
    await screenshot(page, 'upload-interrupted');
    await page.getByLabel('Choose pets.tar to resume').setInputFiles(archive);
    await page.getByRole('heading', { name: 'pets' }).waitFor();
    ids.dataset = page.url().split('/').at(-1);
    await page.locator('.page-head .badge', { hasText: /^ready$/ }).waitFor({ timeout: 60_000 });
    await page.locator('.thumbs img').first().waitFor();
    // Each thumbnail loaded (a presigned link of the object store) and decoded to real pixels.
    await page.locator('.thumbs').scrollIntoViewIfNeeded();
    const decoded = () =>
      page
        .locator('.thumbs img')
        .evaluateAll((imgs) => imgs.map((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0));
    await expect.poll(async () => (await decoded()).every(Boolean), { timeout: 10_000 }).toBe(true);
    expect((await decoded()).length).toBeGreaterThan(0);
    await page.getByText('Rejected files (1)').waitFor();
    await page.getByText('notes.jpg').waitFor();
    await screenshot(page, 'dataset-detail');

    // A second upload, cancelled while its part is on the way: nothing is left behind.
    await page.goto(`${url}/datasets/upload`);
    await page.route('**/uploads/*/parts/*', () => undefined);
    await page.getByLabel('Archive').setInputFiles(archive);
    await page.getByLabel('Name').fill('cancelled');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText(/Uploading: 0 B/).waitFor();
    await page.getByRole('button', { name: 'Cancel upload' }).click();
    await page.getByLabel('Upload progress').waitFor({ state: 'detached' });
    await page.unroute('**/uploads/*/parts/*');
    const names = async () =>
      (await api<{ datasets: { name: string }[] }>('/v1/datasets')).body.datasets.map((d) => d.name);
    await expect.poll(names, { timeout: 10_000 }).toEqual(['pets']);
    await expect.poll(() => page.evaluate(() => localStorage.getItem('clsa.uploads'))).toBe('[]');
    await visit('datasets', '/datasets', () => page.getByRole('link', { name: 'pets' }).waitFor());
  }, 120_000);

  it('creates a job with field-level errors from the API, then watches its loss chart move until it succeeds', async () => {
    await visit('job-create', `/jobs/new?dataset=${ids.dataset}`, () =>
      page.getByLabel('Preset', { exact: true }).waitFor(),
    );
    await page.getByLabel('Preset', { exact: true }).selectOption('cpu-demo');
    await page.getByLabel('Batch size').fill('1');
    watch.expectFailure((u, status) => u.endsWith('/v1/jobs') && status === 400);
    await page.getByRole('button', { name: 'Create job' }).click();
    const batchError = page.locator('#job-batchSize-error');
    await batchError.waitFor();
    expect(await batchError.textContent()).toMatch(/config\.batchSize/);
    expect(await page.getByLabel('Batch size').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'job-create-error');

    await page.getByLabel('Name (optional)').fill('console demo');
    await page.getByLabel('Batch size').fill('6');
    await page.getByLabel('Epochs').fill('4');
    await page.getByLabel('Queue size').fill('12');
    await page.getByLabel('Base width').fill('4');
    await page.getByLabel(/More CLSA settings/).fill('{"encoder": {"projectionDim": 8}}');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'console demo' }).waitFor();
    ids.job = page.url().split('/').at(-1);

    // The chart is fed by the SSE stream: sample its point count until the job ends.
    const seen = new Set<number>();
    const chart = page.locator('svg[aria-label^="Loss"]');
    const badge = page.locator('.page-head .badge');
    const deadline = Date.now() + 240_000;
    for (let status = ''; status !== 'succeeded'; status = (await badge.textContent()) ?? '') {
      if (status === 'failed' || Date.now() > deadline) throw new Error(`the job ended ${status || 'too late'}`);
      seen.add(Number(await chart.getAttribute('data-points')));
      await page.waitForTimeout(200);
    }
    await page.getByText('Encoder ready').waitFor({ timeout: 30_000 });
    const points = Number(await chart.getAttribute('data-points'));
    expect(points).toBeGreaterThan(0);
    // Several distinct sizes of the curve were drawn: it grew while the job ran.
    console.log(`[console e2e] loss chart sizes seen while the job ran: ${[...seen].sort((a, b) => a - b).join(', ')}`);
    expect([...seen].filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(await page.locator('svg[aria-label^="Loss"] polyline').count()).toBe(3);
    expect(await page.locator('svg[aria-label^="Learning rate"] polyline').count()).toBe(1);
    await page.getByRole('progressbar', { name: 'Training progress' }).waitFor();
    expect(await page.locator('.events li[data-type="status"]').count()).toBeGreaterThanOrEqual(2);
    await page.locator('table').filter({ hasText: 'Download' }).first().waitFor();
    await screenshot(page, 'job-detail');
    await visit('job-detail-reload', `/jobs/${ids.job}`, () =>
      page.locator('svg[aria-label^="Loss"] polyline').first().waitFor(),
    );
    await visit('jobs', '/jobs', () => page.getByRole('link', { name: 'console demo' }).waitFor());
    expect(await page.locator(`tr[data-job="${ids.job}"]`).getByText('succeeded').count()).toBe(1);
  }, 300_000);

  it('shows the encoder with lineage and scores, and embeds a dropped image', async () => {
    await visit('encoders', '/encoders', () => page.locator('tbody tr').first().waitFor());
    await page.locator('tbody tr a').first().click();
    await page.getByRole('heading', { name: 'Lineage' }).waitFor();
    ids.encoder = page.url().split('/').at(-1);
    await page.locator('td', { hasText: /^kNN$/ }).first().waitFor();
    const image = path.join(path.dirname(archive), 'probe.jpg');
    await writeFile(image, await jpeg(7, 48));
    watch.expectFailure((u, status) => u.endsWith('/embeddings') && [404, 405, 501].includes(status));
    await page.getByLabel('Drop an image, or choose one').setInputFiles(image);
    const vector = page.locator('.vector');
    const unavailable = page.getByText('This server does not serve embeddings yet.');
    await vector.or(unavailable).waitFor({ timeout: 60_000 });
    if (await vector.isVisible()) {
      const encoder = (await api<{ embeddingDim: number }>(`/v1/encoders/${ids.encoder}`)).body;
      expect(Number(await vector.getAttribute('data-dimension'))).toBe(encoder.embeddingDim);
      console.log(`[console e2e] embeddings endpoint answered a ${encoder.embeddingDim}-d vector`);
      await page.getByText('Export this encoder on a dataset to see nearest images').waitFor();
    } else {
      console.log('[console e2e] embeddings endpoint not served by this build: the console said so');
    }
    await screenshot(page, 'encoder-detail');
    await visit('encoder-detail-load', `/encoders/${ids.encoder}`, () =>
      page.getByRole('heading', { name: 'Lineage' }).waitFor(),
    );
  }, 120_000);

  it("shows a dropped dataset image's nearest images from an export of that dataset", async () => {
    const created = await api<{ id: string }>(`/v1/encoders/${ids.encoder}/exports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ datasetId: ids.dataset }),
    });
    expect(created.status).toBe(202);
    const exported = async () => (await api<{ status: string; rows: number }>(`/v1/exports/${created.body.id}`)).body;
    await expect.poll(async () => (await exported()).status, { timeout: 60_000, interval: 250 }).toBe('SUCCEEDED');
    const { rows } = await exported();
    // One of the dataset's own images, as the new endpoint serves it (the bytes validation kept).
    const droppedKey = '000000005';
    const served = await fetch(`${url}/v1/datasets/${ids.dataset}/images/${droppedKey}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    const image = path.join(path.dirname(archive), 'own.jpg');
    await writeFile(image, Buffer.from(await served.arrayBuffer()));

    await page.goto(`${url}/encoders/${ids.encoder}`);
    await page.getByLabel('Search in').waitFor();
    await page.getByLabel('Drop an image, or choose one').setInputFiles(image);
    const items = page.locator('.neighbours li');
    const shown = Math.min(8, rows);
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(shown);
    // Every thumbnail came through the API with the key (a blob: URL) and decoded to real pixels.
    const loaded = () =>
      page.locator('.neighbours img').evaluateAll((imgs) =>
        imgs.map((img) => {
          const { naturalWidth, src } = img as unknown as { naturalWidth: number; src: string };
          return naturalWidth > 0 && src.startsWith('blob:');
        }),
      );
    await expect.poll(async () => (await loaded()).filter(Boolean).length, { timeout: 15_000 }).toBe(shown);
    const found = await items.evaluateAll((lis) =>
      lis.map((li) => ({ key: li.getAttribute('data-key'), score: Number(li.getAttribute('data-score')) })),
    );
    console.log(
      `[console e2e] nearest to ${droppedKey}: ${found.map((f) => `${f.key} ${f.score.toFixed(6)}`).join(', ')}`,
    );
    // The export and the online embedding apply the same evaluation transform to the same bytes,
    // so the image finds itself at cosine ≈ 1. It is expected first; an undertrained encoder can
    // place other images within float noise of it, so the assertion is on its score, not its rank.
    const self = found.find((f) => f.key === droppedKey);
    expect(self, `${droppedKey} is among its nearest images`).toBeDefined();
    expect(self?.score).toBeGreaterThan(0.999);
    expect(found[0]?.score).toBeGreaterThan(0.999);
    expect(found.map((f) => f.score)).toEqual([...found.map((f) => f.score)].sort((a, b) => b - a));
    await page.locator('.neighbours').scrollIntoViewIfNeeded();
    await screenshot(page, 'encoder-nearest');
  }, 120_000);

  it('creates an API key shown once, and revokes it', async () => {
    await visit('api-keys', '/api-keys', () => page.locator('tbody tr').first().waitFor());
    await page.getByLabel('Name').fill('console e2e');
    await page.getByRole('checkbox', { name: 'WRITE' }).uncheck();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-secret').textContent()) ?? '';
    expect(secret).toMatch(/^clsa_/);
    expect((await api('/v1/team', {}, secret)).status).toBe(200);
    await screenshot(page, 'api-key-created');
    await page.getByRole('button', { name: 'Revoke console e2e' }).click();
    await page.getByRole('button', { name: 'Revoke console e2e' }).waitFor({ state: 'detached' });
    expect((await api('/v1/team', {}, secret)).status).toBe(401);
    await page.getByLabel('Show revoked keys').check();
    await page
      .locator('tr[data-key="console e2e"]')
      .getByText(/revoked/)
      .waitFor();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, route] of [
      ['phone-jobs', '/jobs'],
      ['phone-job-detail', `/jobs/${ids.job}`],
      ['phone-dataset-detail', `/datasets/${ids.dataset}`],
    ] as const) {
      await page.goto(`${url}${route}`);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
      expect(overflow, `${route} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
      await screenshot(page, name);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out, forgetting the key; logged no console error; reports load times and bundle size', async () => {
    await page.goto(`${url}/jobs`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('clsa.apiKey'))).toBeNull();
    expect(watch.unexpected()).toEqual([]);

    const sizes = await bundleSizes();
    const total = sizes.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzipBytes: t.gzipBytes + s.gzipBytes }), {
      bytes: 0,
      gzipBytes: 0,
    });
    console.log('[console e2e] page load (navigation → content visible, ms):');
    console.table(loadTimes);
    console.log('[console e2e] bundle (bytes):');
    console.table([...sizes, { file: 'total', ...total }]);
    await writeReport('metrics.json', { loadTimesMs: loadTimes, bundle: sizes, bundleTotal: total });
    expect(total.gzipBytes).toBeLessThan(200_000);
  });
});
