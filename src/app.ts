import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import fastifyMultipart from '@fastify/multipart';
import { AppModule, type AppRuntime } from './app.module.js';
import { serveConsole } from './console-host.js';
import { NestPinoLogger } from './common/logger.js';
import { findProjectRoot } from './common/project-root.js';
import { requestIdFrom } from './common/request-id.js';
import { freePort } from './common/free-port.js';
import { AppMetrics } from './health/metrics.js';

export interface RunningApp {
  app: NestFastifyApplication;
  httpUrl: string;
  grpcAddress: string;
}

function createAdapter(runtime: AppRuntime): FastifyAdapter {
  return new FastifyAdapter({
    loggerInstance: runtime.logger,
    bodyLimit: runtime.config.http.bodyLimitBytes,
    genReqId: (request: IncomingMessage) => requestIdFrom(request.headers['x-request-id']),
    // Keep-alive connections that sit idle are closed at shutdown; busy ones are drained.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
}

async function instrument(app: NestFastifyApplication, runtime: AppRuntime): Promise<void> {
  // multipart/form-data uploads stream file parts to the handler; limits stop abuse before it lands.
  await app.register(fastifyMultipart, {
    limits: { fileSize: runtime.config.datasets.maxDatasetBytes, files: 64, fields: 16, fieldSize: 4096 },
  });
  const metrics = app.get(AppMetrics);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  // Embedding requests carry images (base64 in JSON): their own, larger body limit.
  fastify.addHook('onRoute', (route) => {
    if (route.method === 'POST' && route.url.endsWith('/embeddings')) {
      route.bodyLimit = runtime.config.embeddings.maxRequestBytes;
    }
  });
  // JSON endpoints answer 415 to text rather than failing validation on a string.
  fastify.removeContentTypeParser('text/plain');
  // Uploads arrive as raw streams; handlers read them without buffering.
  fastify.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
}

function documentApi(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('CLSA pretraining service')
      .setDescription(
        'Datasets, CLSA pretraining jobs and frozen encoders. gRPC: package clsa.v1, protos under proto/.',
      )
      .setVersion('v1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: clsa_<prefix>_<secret>' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}

/**
 * Builds and starts the whole server (HTTP + gRPC) on already-started infrastructure.
 * `beforeListen` runs once the app is built but before it takes traffic.
 */
export async function startApp(
  runtime: AppRuntime,
  beforeListen: (app: NestFastifyApplication) => Promise<void> = async () => {},
): Promise<RunningApp> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(runtime), createAdapter(runtime), {
    logger: new NestPinoLogger(runtime.logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  await instrument(app, runtime);
  documentApi(app);
  if (!(await serveConsole(app.getHttpAdapter().getInstance()))) {
    runtime.logger.warn('the web console is not built (npm run build:console); / says so');
  }
  const { grpc, http } = runtime.config;
  const grpcPort = grpc.port === 0 ? await freePort(grpc.host) : grpc.port;
  const grpcAddress = `${grpc.host}:${grpcPort}`;
  const protoRoot = path.join(findProjectRoot(), 'proto');
  app.connectMicroservice<MicroserviceOptions>(
    {
      transport: Transport.GRPC,
      options: {
        url: grpcAddress,
        package: 'clsa.v1',
        protoPath: [
          'clsa/v1/teams.proto',
          'clsa/v1/api_keys.proto',
          'clsa/v1/datasets.proto',
          'clsa/v1/jobs.proto',
          'clsa/v1/embeddings.proto',
        ],
        loader: {
          includeDirs: [protoRoot],
          keepCase: false,
          longs: String,
          enums: String,
          defaults: true,
          oneofs: false,
        },
        gracefulShutdown: true,
      },
    },
    { inheritAppConfig: true },
  );
  // Init runs the modules' bootstrap hooks (job handlers register there) before any traffic.
  await app.init();
  runtime.queue.assertAllHandled('server');
  await beforeListen(app);
  await app.startAllMicroservices();
  await app.listen({ host: http.host, port: http.port });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address !== null ? address.port : http.port;
  const shownHost = http.host.includes(':') ? `[${http.host}]` : http.host;
  return { app, httpUrl: `http://${shownHost}:${port}`, grpcAddress };
}
