import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Archive, Dataset, DatasetLayout, DatasetsApi } from './datasets-api.js';
import { listFiles, packFiles } from './dir-packer.js';
import { CliError } from './errors.js';
import type { Reporter } from './progress.js';
import { tappedStream } from './streams.js';

export interface DirectoryUploadOptions {
  dirPath: string;
  datasetName: string;
  layout?: DatasetLayout;
}

/**
 * Packs a folder into a tar on the fly and streams it to the API in one request (its size is not
 * known up front), then completes the dataset. Nothing to resume: a failed run removes the dataset.
 */
export async function uploadDirectory(
  api: DatasetsApi,
  options: DirectoryUploadOptions,
  reporter: Reporter,
): Promise<{ dataset: Dataset; archive: Archive }> {
  const files = await listFiles(options.dirPath);
  if (files.length === 0) throw new CliError(`${options.dirPath} holds no regular files to upload`);
  const fileName = `${path.basename(path.resolve(options.dirPath))}.tar`;
  const created = await api.create({
    name: options.datasetName,
    ...(options.layout ? { layout: options.layout } : {}),
  });
  reporter.note(`dataset ${created.id}: streaming ${files.length} file(s) as ${fileName}`);
  try {
    const hash = createHash('sha256');
    const bar = reporter.start('uploading', undefined);
    const tapped = tappedStream(packFiles(files), (chunk) => {
      hash.update(chunk);
      bar.add(chunk.length);
    });
    const archive = await api.putArchive(created.id, fileName, tapped.stream);
    bar.done();
    const sha256 = hash.digest('hex');
    if (archive.sha256 !== null && archive.sha256 !== sha256) {
      throw new CliError(`the API stored sha256 ${archive.sha256} but ${sha256} was sent`);
    }
    return { dataset: await api.complete(created.id), archive };
  } catch (error) {
    await api.remove(created.id).catch(() => undefined);
    throw error;
  }
}
