import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findProjectRoot } from './common/project-root.js';

/** Paths that belong to the API and its tooling: never answered with the console's page. */
const SERVER_PATHS = /^\/(v\d+|docs|healthz|readyz|metrics)(\/|$)/;

/**
 * The console's page may load only what it ships itself and talk only to this origin; images may
 * come from anywhere (dataset thumbnails are presigned links to the object store).
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: http: https:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export function defaultConsoleDir(): string {
  return path.join(findProjectRoot(), 'dist', 'console');
}

function pageHeaders(reply: FastifyReply): void {
  void reply.header('cache-control', 'no-cache');
  void reply.header('content-security-policy', PAGE_POLICY);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
}

/** A path a browser navigates to (a console route) rather than a file the page loads. */
function wantsPage(pathname: string): boolean {
  return path.extname(pathname) === '' || pathname.endsWith('.html');
}

const NOT_BUILT =
  'The web console is not built: run `npm run build` (or `npm run build:console`). The API is at /v1, its docs at /docs.\n';

/**
 * Serves the web console (the static build of src/console) at `/` on the API's origin. Built
 * files are looked up per request, so a rebuild needs no restart: hashed assets are cached for a
 * year and their precompressed copies preferred; any other GET a browser navigates to answers the
 * console's index.html, so client-side routes survive a reload. API paths keep their JSON 404.
 * Returns whether a build was there at start; without one, `/` says how to make it.
 */
export async function serveConsole(fastify: FastifyInstance, dir = defaultConsoleDir()): Promise<boolean> {
  const page = path.join(dir, 'index.html');
  await fastify.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: dir,
      serve: false,
      preCompressed: true,
      index: false,
      setHeaders: (reply, file) => {
        if (file.endsWith('.html')) pageHeaders(reply);
        else if (file.includes(`${path.sep}assets${path.sep}`)) {
          void reply.header('cache-control', 'public, max-age=31536000, immutable');
        }
      },
    });
    const answer = async (request: FastifyRequest, reply: FastifyReply) => {
      const pathname = request.url.split('?', 1)[0] ?? '/';
      if (SERVER_PATHS.test(pathname)) return reply.callNotFound();
      if (!wantsPage(pathname)) return reply.sendFile(pathname.slice(1));
      if (!existsSync(page)) return reply.type('text/plain; charset=utf-8').send(NOT_BUILT);
      return reply.sendFile('index.html');
    };
    scope.get('/', answer);
    scope.get('/*', answer);
  });
  return existsSync(page);
}
