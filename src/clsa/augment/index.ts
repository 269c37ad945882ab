/** The augmentation ops of the CLSA engine: framework-free, on 8-bit RGB pixels in typed arrays. */
export * from './image.js';
export * from './normalize.js';
export * from './pil-blur.js';
export * from './pil-color.js';
export * from './pil-enhance.js';
export * from './pil-geometry.js';
export * from './pil-resize.js';
export * from './pipeline.js';
export { describePixelKernels, pixelKernels, useNativePixels } from './pixel-kernels.js';
export * from './random.js';
export * from './strong-ops.js';
export * from './strong-policy.js';
export * from './weak-color.js';
export * from './weak-crop.js';
