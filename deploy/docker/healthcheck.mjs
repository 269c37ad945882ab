// Docker HEALTHCHECK of the API image: GET /healthz (liveness: the process answers) on the HTTP
// port. Kubernetes uses its own httpGet probes instead (deploy/helm/clsa).
const port = process.env.HTTP_PORT || '8080';
const path = process.argv[2] || '/healthz';

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
