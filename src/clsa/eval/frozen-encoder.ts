/**
 * A loaded encoder ready to serve: the backbone's tensors, its evaluation transform and a forward
 * pass from a batch buffer of normalised pixels to pooled features. What the embeddings service
 * keeps in its model cache; it never sees a tensor.
 */
import { type EncoderFileInfo, type LoadedEncoder, readEncoderBuffer } from '../io/encoder-file.js';
import { resnetForward } from '../model/index.js';
import * as tf from '../tf.js';
import { type EvalTransform, evalTransform } from './preprocess.js';

/**
 * Pixels of one forward pass at most (16 images at 224²); larger batches run in chunks. The
 * threaded wasm backend's heap cannot grow past its maximum, and a pass that outgrew it (ResNet-50,
 * 32 images at 224 px) never returned.
 */
const MAX_PASS_PIXELS = 16 * 224 * 224;

export class FrozenEncoder {
  readonly info: EncoderFileInfo;
  /** Bytes held by the loaded tensors (weights and BatchNorm buffers, float32). */
  readonly byteSize: number;
  private disposed = false;

  private constructor(private readonly loaded: LoadedEncoder) {
    this.info = loaded.info;
    const { params } = loaded.backbone;
    const tensors = [...params.entries(), ...params.bufferEntries()];
    this.byteSize = tensors.reduce((sum, [, v]) => sum + v.size * 4, 0);
  }

  /** Parses a clsa-encoder safetensors file from its bytes; `source` names it in errors. */
  static fromBytes(bytes: Buffer, source: string): FrozenEncoder {
    return new FrozenEncoder(readEncoderBuffer(bytes, source));
  }

  get inputSize(): number {
    return this.info.inputSize;
  }

  get embeddingDim(): number {
    return this.info.embeddingDim;
  }

  /** Values one image takes in a batch buffer: inputSize² × 3. */
  get inputLength(): number {
    return this.info.inputSize * this.info.inputSize * 3;
  }

  transform(maxPixels: number): EvalTransform {
    return evalTransform(this.info.inputSize, maxPixels, this.info);
  }

  /**
   * Pooled features [count, embeddingDim] of the first `count` images of `pixels`
   * ([N, inputSize, inputSize, 3], normalised). Synchronous: it blocks its thread while it runs.
   */
  forward(pixels: Float32Array, count: number): Float32Array {
    if (this.disposed) throw new Error('the encoder was unloaded');
    const chunk = Math.max(1, Math.floor(MAX_PASS_PIXELS / (this.info.inputSize * this.info.inputSize)));
    if (count <= chunk) return this.pass(pixels, 0, count);
    const out = new Float32Array(count * this.embeddingDim);
    for (let start = 0; start < count; start += chunk) {
      out.set(this.pass(pixels, start, Math.min(chunk, count - start)), start * this.embeddingDim);
    }
    return out;
  }

  private pass(pixels: Float32Array, start: number, count: number): Float32Array {
    const size = this.info.inputSize;
    return tf.tidy(() => {
      const input = pixels.subarray(start * this.inputLength, (start + count) * this.inputLength);
      const { features } = resnetForward(this.loaded.backbone, tf.tensor4d(input, [count, size, size, 3]), {
        training: false,
      });
      return features.dataSync() as Float32Array;
    });
  }

  /** One forward pass on a blank image, so the first request does not pay the backend's set-up. */
  warmUp(): void {
    this.forward(new Float32Array(this.inputLength), 1);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.loaded.backbone.params.dispose();
  }
}
