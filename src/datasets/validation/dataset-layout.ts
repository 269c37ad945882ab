import type { ArchiveMember } from './archive-member.js';

/** A member that passed the name checks: normalised path ('cat/1.jpg') and its segments. */
export interface MemberPath {
  path: string;
  segments: string[];
}

/** Where a member goes in the dataset, decided from names alone (content is judged later, by decoding). */
export type Placement =
  | { kind: 'image'; label: number | null }
  /** Part of a sample but not an image (a WebDataset .cls): consumed silently. */
  | { kind: 'companion' }
  | { kind: 'reject'; reason: string };

/**
 * Labels are decided before the first shard is written (a shard carries class indexes, and indexes
 * follow the sorted label names), so every layout first surveys all names, then places each member.
 */
export interface LayoutSurvey {
  /** Every regular file with an acceptable, first-seen name, in archive order. */
  observe(archive: number, file: MemberPath, member: ArchiveMember): Promise<void>;
  plan(): LayoutPlan;
}

export interface LayoutPlan {
  /** Class index → name; empty when the dataset is unlabelled. */
  readonly labels: readonly string[];
  place(archive: number, file: MemberPath): Placement;
}

/** Label names in a stable order: by UTF-16 code units, the same on every machine and locale. */
export function sortLabels(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
