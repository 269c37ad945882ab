/** The training data path of the CLSA engine: shard sources, seeded epoch streams, views, batch pool. */
export * from './batch.js';
export * from './batch-pool.js';
export * from './epoch-order.js';
export * from './image-folder-source.js';
export * from './normalize-hwc.js';
export * from './sample-stream.js';
export * from './shard-source.js';
export * from './view-recipe.js';
export * from './views.js';
