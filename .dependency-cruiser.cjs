/** Layering rules from STYLE.md, checked by `npm run layering` (part of `npm run check`). */
module.exports = {
  forbidden: [
    {
      name: 'clsa-core-is-framework-free',
      comment: 'src/clsa is the ML core: no Nest, Prisma, storage clients, queue or HTTP.',
      severity: 'error',
      from: { path: '^src/clsa/' },
      to: {
        path: [
          '^node_modules/(@nestjs|@prisma|minio|pg-boss|pg|fastify|@grpc|prom-client)/',
          '^src/(auth|datasets|jobs|encoders|evaluations|db|storage|queue|config|common|generated)/',
        ],
      },
    },
    {
      name: 'only-clsa-loads-tensors',
      comment: 'Only src/clsa imports tfjs, so the API process never loads a training backend.',
      severity: 'error',
      from: { pathNot: '^src/clsa/' },
      to: { path: '^node_modules/@tensorflow/' },
    },
    {
      name: 'prisma-only-in-repositories-and-db',
      comment: 'Repositories own the database; services and faces see our own types.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: [
          '^src/db/',
          '\\.repository\\.ts$',
          '^src/generated/',
          '\\.spec\\.ts$',
          '^src/health/',
          '^src/app\\.module\\.ts$',
          '^src/infrastructure\\.ts$',
        ],
      },
      to: { path: '^src/generated/prisma/(client|internal)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-is-a-plain-http-client',
      comment: 'The command-line client talks to the public REST API only; it never loads server code.',
      severity: 'error',
      from: { path: '^src/cli(\\.ts$|/)' },
      to: {
        path: ['^node_modules/(@nestjs|@prisma|minio|pg-boss|pg|fastify|@grpc|prom-client)/', '^src/(?!cli/)'],
      },
    },
    {
      name: 'console-is-a-plain-http-client',
      comment: 'The web console runs in the browser and uses the public REST API only, like any other client.',
      severity: 'error',
      from: { path: '^src/console/' },
      to: {
        path: [
          '^src/(?!console/)',
          '^node_modules/(@nestjs|@prisma|minio|pg-boss|pg|fastify|@fastify|@grpc|prom-client|@tensorflow|sharp)/',
        ],
      },
    },
    {
      name: 'server-does-not-load-the-console',
      comment: 'The server serves the console as built static files; it never imports its sources.',
      severity: 'error',
      from: { path: '^src/(?!console/)' },
      to: { path: '^src/console/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
