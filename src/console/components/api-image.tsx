import { useEffect, useState } from 'react';
import { useApi } from '../lib/auth';

/**
 * An image the API serves only to a signed-in caller (an `<img src>` cannot send the API key):
 * fetched with the key, shown from a blob: URL that is revoked when the path changes or the
 * image unmounts.
 */
export function ApiImage({ path, alt }: { path: string; alt: string }) {
  const api = useApi();
  const [src, setSrc] = useState<string>();
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    let url: string | undefined;
    setSrc(undefined);
    setFailed(false);
    api
      .raw('GET', path, { signal: controller.signal })
      .then((response) => response.blob())
      .then((blob) => {
        if (controller.signal.aborted) return;
        url = URL.createObjectURL(blob);
        setSrc(url);
      })
      .catch(() => {
        if (!controller.signal.aborted) setFailed(true);
      });
    return () => {
      controller.abort();
      if (url !== undefined) URL.revokeObjectURL(url);
    };
  }, [api, path]);

  if (src === undefined) {
    return (
      <span
        className={`thumb-placeholder${failed ? ' failed' : ''}`}
        role="img"
        aria-label={failed ? `${alt} (could not be loaded)` : `${alt} (loading)`}
      />
    );
  }
  return <img src={src} alt={alt} />;
}
