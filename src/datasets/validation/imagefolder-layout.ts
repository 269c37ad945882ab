import { type LayoutPlan, type LayoutSurvey, type MemberPath, type Placement, sortLabels } from './dataset-layout.js';

const IMAGE_NAME = /\.(jpe?g|png|webp)$/i;

/** The folder structure of one archive: how many files sit at the top, and what is below each top folder. */
class FolderShape {
  private topLevel = 0;
  private readonly folders = new Map<string, { direct: number; subfolders: Set<string> }>();

  get isEmpty(): boolean {
    return this.topLevel === 0 && this.folders.size === 0;
  }

  add(segments: readonly string[]): void {
    if (segments.length === 1) {
      this.topLevel += 1;
      return;
    }
    const first = segments[0]!;
    const folder = this.folders.get(first) ?? { direct: 0, subfolders: new Set<string>() };
    this.folders.set(first, folder);
    if (segments.length === 2) folder.direct += 1;
    else folder.subfolders.add(segments[1]!);
  }

  /** Zipping a folder wraps everything in it ('mydata/cat/1.jpg'): one folder and nothing beside it. */
  wrappingFolder(): string | null {
    if (this.topLevel > 0 || this.folders.size !== 1) return null;
    return [...this.folders.keys()][0]!;
  }

  /** Class folders once `root` (if any) is stripped. */
  classes(root: string | null): Iterable<string> {
    return root === null ? this.folders.keys() : (this.folders.get(root)?.subfolders ?? []);
  }
}

/**
 * ImageFolder: `class/xyz.jpg` is labelled `class`; files at the top level mean an unlabelled
 * dataset. One wrapping folder common to every file is stripped first. Decisions use files named
 * like images (.jpg, .jpeg, .png, .webp), so a stray README does not change the layout; an archive
 * without any such name falls back to all its files. Consequences worth knowing:
 * - a single class folder (`cat/*.jpg` only) reads as a wrapped flat folder: unlabelled;
 * - where class folders exist, top-level files are rejected rather than silently left unlabelled;
 * - deeper folders belong to their top folder's class (`cat/indoor/1.jpg` is a `cat`).
 */
export class ImageFolderSurvey implements LayoutSurvey {
  private readonly archives: { images: FolderShape; all: FolderShape }[] = [];

  observe(archive: number, file: MemberPath): Promise<void> {
    const shapes = this.archives[archive] ?? { images: new FolderShape(), all: new FolderShape() };
    this.archives[archive] = shapes;
    shapes.all.add(file.segments);
    if (IMAGE_NAME.test(file.path)) shapes.images.add(file.segments);
    return Promise.resolve();
  }

  plan(): LayoutPlan {
    const roots: (string | null)[] = [];
    const classes: string[] = [];
    this.archives.forEach((shapes, archive) => {
      const shape = shapes.images.isEmpty ? shapes.all : shapes.images;
      const root = shape.wrappingFolder();
      roots[archive] = root;
      classes.push(...shape.classes(root));
    });
    return new ImageFolderPlan(roots, sortLabels(classes));
  }
}

class ImageFolderPlan implements LayoutPlan {
  private readonly index: Map<string, number>;

  constructor(
    private readonly roots: readonly (string | null)[],
    readonly labels: readonly string[],
  ) {
    this.index = new Map(labels.map((name, i) => [name, i]));
  }

  place(archive: number, file: MemberPath): Placement {
    let segments = file.segments;
    const root = this.roots[archive] ?? null;
    if (root !== null) {
      if (segments[0] !== root || segments.length < 2) {
        return { kind: 'reject', reason: `outside the dataset's folder "${root}/"` };
      }
      segments = segments.slice(1);
    }
    if (this.labels.length === 0) return { kind: 'image', label: null };
    if (segments.length === 1) {
      return { kind: 'reject', reason: 'top-level file in a labelled dataset (images belong in class folders)' };
    }
    const label = this.index.get(segments[0]!);
    if (label === undefined) {
      return { kind: 'reject', reason: `folder "${segments[0]}" holds no images, so it is not a class` };
    }
    return { kind: 'image', label };
  }
}
