import type { ArchiveMember } from './archive-member.js';
import type { LayoutPlan } from './dataset-layout.js';
import { checkMemberPath } from './member-path.js';

export type Triage =
  /** Directories and sample companions (.cls): nothing to report. */
  | { kind: 'ignore' }
  /** OS junk and hidden files: skipped silently, but counted. */
  | { kind: 'junk' }
  | { kind: 'reject'; reason: string }
  | { kind: 'image'; path: string; label: number | null };

/**
 * Everything decided about a member before its content is read: its type, its name, duplicates,
 * its place in the layout and its size. One instance per archive (duplicates are per archive).
 */
export class MemberTriage {
  private readonly seen = new Set<string>();

  constructor(
    private readonly archive: number,
    private readonly plan: LayoutPlan,
    private readonly maxMemberBytes: number,
  ) {}

  triage(member: ArchiveMember): Triage {
    switch (member.type.kind) {
      case 'directory':
        return { kind: 'ignore' };
      case 'symlink':
        return reject('symbolic link (links are not followed)');
      case 'hardlink':
        return reject('hard link (links are not followed)');
      case 'other':
        return reject(`not a regular file (${member.type.description})`);
      case 'file':
        return this.triageFile(member);
    }
  }

  private triageFile(member: ArchiveMember): Triage {
    const verdict = checkMemberPath(member.name);
    if (verdict.kind === 'skip') return { kind: 'junk' };
    if (verdict.kind === 'reject') return verdict;
    if (this.seen.has(verdict.path)) return reject('duplicate name (an earlier member has the same path)');
    this.seen.add(verdict.path);
    const placement = this.plan.place(this.archive, verdict);
    if (placement.kind === 'reject') return placement;
    if (placement.kind === 'companion') return { kind: 'ignore' };
    if (member.problem !== undefined) return reject(member.problem);
    if (member.size > this.maxMemberBytes) {
      return reject(`${member.size} bytes, over the maxMemberBytes limit of ${this.maxMemberBytes}`);
    }
    return { kind: 'image', path: verdict.path, label: placement.label };
  }
}

function reject(reason: string): Triage {
  return { kind: 'reject', reason };
}
