import { ArchiveBudget, type ArchiveReader } from './archive-member.js';
import type { LayoutPlan, LayoutSurvey } from './dataset-layout.js';
import { ImageFolderSurvey } from './imagefolder-layout.js';
import { checkMemberPath } from './member-path.js';
import type { ArchiveSummary, DatasetLayout, ValidationLimits } from './validation.types.js';
import { WebDatasetSurvey } from './webdataset-layout.js';

export function surveyLayout(layout: DatasetLayout): LayoutSurvey {
  switch (layout) {
    case 'imagefolder':
      return new ImageFolderSurvey();
    case 'webdataset':
      return new WebDatasetSurvey();
  }
}

/**
 * The first pass over every archive: enforces the fatal limits (member count, uncompressed total,
 * compression ratios) before anything is decoded, hashes each archive, and gathers the names the
 * layout needs to fix its labels. Nothing is reported here; the second pass reports each member once.
 */
export async function surveyArchives(
  readers: readonly ArchiveReader[],
  layout: DatasetLayout,
  limits: ValidationLimits,
): Promise<{ archives: ArchiveSummary[]; plan: LayoutPlan }> {
  const budget = new ArchiveBudget(limits);
  const survey = surveyLayout(layout);
  const archives: ArchiveSummary[] = [];
  for (const [index, reader] of readers.entries()) {
    const seen = new Set<string>();
    const digest = await reader.survey(budget, async (member) => {
      if (member.type.kind !== 'file') return;
      const verdict = checkMemberPath(member.name);
      if (verdict.kind !== 'ok' || seen.has(verdict.path)) return;
      seen.add(verdict.path);
      await survey.observe(index, verdict, member);
    });
    archives.push({ name: reader.name, sha256: digest.sha256, bytes: digest.bytes, kind: reader.kind });
  }
  return { archives, plan: survey.plan() };
}
