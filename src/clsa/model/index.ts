/** CLSA's networks: parameters as named variables, ResNet backbones, projector, key encoder, key queue. */
export * from './batch-norm.js';
export * from './encoder.js';
export * from './init.js';
export * from './key-queue.js';
export * from './momentum-encoder.js';
export * from './parameters.js';
export * from './projector.js';
export * from './resnet.js';
