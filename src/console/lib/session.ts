/** The API key lives in sessionStorage: it survives a reload, not the closing of the tab. */
const KEY = 'clsa.apiKey';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function clearKey(): void {
  sessionStorage.removeItem(KEY);
}

/** `clsa_<prefix>_<secret>` → `<prefix>`: how the API lists keys. */
export function prefixOf(key: string): string | null {
  return /^clsa_([^_]+)_/.exec(key)?.[1] ?? null;
}
