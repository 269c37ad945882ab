import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppMetrics } from '../health/metrics.js';
import type { BatchEvents } from './engine/micro-batcher.js';
import type { CacheEvents } from './engine/model-cache.js';

/** The engine's events on the app's /metrics registry (AppMetrics lives in the root module). */
@Injectable()
export class EmbeddingMetrics implements OnModuleInit, BatchEvents {
  private metrics: AppMetrics['embed'] | undefined;

  constructor(private readonly modules: ModuleRef) {}

  onModuleInit(): void {
    this.metrics = this.modules.get(AppMetrics, { strict: false }).embed;
  }

  cacheEvents(onEvicted: (key: string) => void): CacheEvents {
    return {
      hit: () => this.metrics?.cacheHits.inc(),
      miss: () => this.metrics?.cacheMisses.inc(),
      evicted: (key) => {
        this.metrics?.cacheEvictions.inc();
        onEvicted(key);
      },
      size: (bytes) => this.metrics?.cacheBytes.set(bytes),
    };
  }

  batch(size: number): void {
    this.metrics?.batchSize.observe(size);
  }

  forward(seconds: number): void {
    this.metrics?.forwardSeconds.observe(seconds);
  }

  queueDepth(images: number): void {
    this.metrics?.queueDepth.set(images);
  }

  request(transport: 'rest' | 'grpc' | 'grpc-stream', seconds: number): void {
    this.metrics?.latency.observe({ transport }, seconds);
  }

  images(ok: number, failed: number): void {
    if (ok > 0) this.metrics?.images.inc({ outcome: 'ok' }, ok);
    if (failed > 0) this.metrics?.images.inc({ outcome: 'failed' }, failed);
  }

  rejected(): void {
    this.metrics?.rejected.inc();
  }
}
