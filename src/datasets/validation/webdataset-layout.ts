import { type ArchiveMember, MemberDataError } from './archive-member.js';
import { type LayoutPlan, type LayoutSurvey, type MemberPath, type Placement, sortLabels } from './dataset-layout.js';

const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'webp']);
const LABEL_EXTENSION = 'cls';
const MAX_LABEL_BYTES = 256;
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Label = { name: string } | { invalid: string };

interface Sample {
  images: number;
  label?: Label;
}

/** WebDataset naming: the key is the path up to the first dot of the file name, the rest is the extension. */
export function splitSampleName(path: string): { key: string; extension: string } | null {
  const slash = path.lastIndexOf('/');
  const dot = path.indexOf('.', slash + 1);
  if (dot <= slash + 1) return null;
  return { key: path.slice(0, dot), extension: path.slice(dot + 1).toLowerCase() };
}

/**
 * WebDataset: members sharing a key form a sample (`0001.jpg` + `0001.cls`), within one tar. A .cls
 * holds a class name or a class index as one line of text; when every label is a number, labels sort
 * numerically ('2' before '10'), otherwise by name. Samples without a usable .cls are unlabelled
 * when no sample is labelled, and rejected when others are; a .cls without an image is rejected.
 */
export class WebDatasetSurvey implements LayoutSurvey {
  private readonly samples = new Map<string, Sample>();

  async observe(archive: number, file: MemberPath, member: ArchiveMember): Promise<void> {
    const name = splitSampleName(file.path);
    if (name === null) return;
    const isImage = IMAGE_EXTENSIONS.has(name.extension);
    if (!isImage && name.extension !== LABEL_EXTENSION) return;
    const id = `${archive}/${name.key}`;
    const sample = this.samples.get(id) ?? { images: 0 };
    this.samples.set(id, sample);
    if (isImage) sample.images += 1;
    else sample.label ??= await readLabel(member);
  }

  plan(): LayoutPlan {
    const names: string[] = [];
    for (const sample of this.samples.values()) {
      if (sample.images > 0 && sample.label !== undefined && 'name' in sample.label) names.push(sample.label.name);
    }
    const numeric = names.length > 0 && names.every((n) => /^\d+$/.test(n));
    if (numeric) {
      for (const sample of this.samples.values()) {
        if (sample.label !== undefined && 'name' in sample.label) sample.label.name = stripZeros(sample.label.name);
      }
    }
    const labels = numeric ? sortNumerically(names.map(stripZeros)) : sortLabels(names);
    return new WebDatasetPlan(this.samples, labels);
  }
}

class WebDatasetPlan implements LayoutPlan {
  private readonly index: Map<string, number>;

  constructor(
    private readonly samples: ReadonlyMap<string, Sample>,
    readonly labels: readonly string[],
  ) {
    this.index = new Map(labels.map((name, i) => [name, i]));
  }

  place(archive: number, file: MemberPath): Placement {
    const name = splitSampleName(file.path);
    if (name === null) return reject('no extension: WebDataset members are named <key>.<extension>');
    const sample = this.samples.get(`${archive}/${name.key}`);
    if (IMAGE_EXTENSIONS.has(name.extension)) return this.placeImage(name.key, sample?.label);
    if (name.extension !== LABEL_EXTENSION) {
      return reject(`unused sample component ".${name.extension}" (only images and .cls labels are kept)`);
    }
    if (sample?.label !== undefined && 'invalid' in sample.label)
      return reject(`invalid label: ${sample.label.invalid}`);
    if (sample === undefined || sample.images === 0) return reject('label without an image (no image shares its key)');
    return { kind: 'companion' };
  }

  private placeImage(key: string, label: Label | undefined): Placement {
    if (label !== undefined && 'name' in label) return { kind: 'image', label: this.index.get(label.name)! };
    if (this.labels.length === 0) return { kind: 'image', label: null };
    if (label !== undefined) return reject(`its label ${key}.cls is invalid (${label.invalid})`);
    return reject('no .cls label for this sample, though other samples are labelled');
  }
}

async function readLabel(member: ArchiveMember): Promise<Label> {
  if (member.problem !== undefined) return { invalid: member.problem };
  if (member.size > MAX_LABEL_BYTES) return { invalid: `${member.size} bytes, at most ${MAX_LABEL_BYTES} allowed` };
  let text: string;
  try {
    text = utf8.decode(await member.read()).trim();
  } catch (err) {
    if (err instanceof MemberDataError) return { invalid: err.reason };
    if (err instanceof TypeError) return { invalid: 'not valid UTF-8 text' };
    throw err;
  }
  if (text === '') return { invalid: 'empty' };
  // eslint-disable-next-line no-control-regex -- a label is one line of printable text
  if (/[\u0000-\u001f\u007f]/.test(text)) return { invalid: 'not one line of text' };
  return { name: text };
}

function stripZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

function sortNumerically(names: string[]): string[] {
  return [...new Set(names)].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

function reject(reason: string): Placement {
  return { kind: 'reject', reason };
}
