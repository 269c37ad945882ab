/** Nearest rows of an embedding matrix by cosine similarity, and the export manifest they name. */

export interface Neighbour {
  readonly row: number;
  /** Cosine similarity to the query, in [-1, 1]. */
  readonly score: number;
}

export interface ManifestRow {
  readonly row: number;
  readonly key: string;
  readonly label: string | null;
}

/** The vector scaled to unit L2 norm (a zero vector stays zero). */
export function normalise(values: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] as number) ** 2;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(values.length);
  if (norm > 0) for (let i = 0; i < values.length; i++) out[i] = (values[i] as number) / norm;
  return out;
}

/**
 * The `k` rows of `matrix` (rows × query.length, row after row) most similar to `query` by
 * cosine similarity, best first; ties keep the lower row first. Each row is normalised on the
 * fly, so the matrix may or may not be; zero rows score 0 and NaN rows are
 * skipped. One pass, O(rows × dim + rows × k).
 */
export function topK(query: ArrayLike<number>, matrix: Float32Array, k: number): Neighbour[] {
  const dim = query.length;
  if (dim === 0 || matrix.length % dim !== 0) {
    throw new RangeError(`a matrix of ${matrix.length} values has no rows of ${dim}`);
  }
  if (k <= 0) return [];
  const q = normalise(query);
  const rows = matrix.length / dim;
  const best: Neighbour[] = [];
  for (let row = 0; row < rows; row++) {
    let dot = 0;
    let sq = 0;
    const start = row * dim;
    for (let i = 0; i < dim; i++) {
      const v = matrix[start + i] as number;
      dot += v * (q[i] as number);
      sq += v * v;
    }
    const score = sq === 0 ? 0 : dot / Math.sqrt(sq);
    if (Number.isNaN(score) || (best.length === k && score <= (best[k - 1] as Neighbour).score)) continue;
    let at = best.length;
    while (at > 0 && (best[at - 1] as Neighbour).score < score) at--;
    best.splice(at, 0, { row, score });
    if (best.length > k) best.pop();
  }
  return best;
}

/** The manifest's JSON Lines, indexed by row. */
export function parseManifest(text: string): ManifestRow[] {
  const rows: ManifestRow[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { row?: unknown; key?: unknown; label?: unknown };
    if (typeof entry.row !== 'number' || typeof entry.key !== 'string') {
      throw new Error(`manifest line ${rows.length + 1} has no row and key`);
    }
    rows[entry.row] = { row: entry.row, key: entry.key, label: typeof entry.label === 'string' ? entry.label : null };
  }
  return rows;
}
