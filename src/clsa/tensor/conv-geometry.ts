import { backend_util, type TensorInfo } from '../tf.js';

type Shape4 = [number, number, number, number];

/** The attributes the two conv-gradient kernels share (tfjs's Conv2DBackprop*Attrs). */
export interface ConvGradientAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** One NHWC convolution, dilation 1, with the padding resolved to the rows/columns added before. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  /** Rows and columns of zeros the output reaches past the input's far edges. */
  padBottom: number;
  padRight: number;
}

const show = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function isShape4(shape: readonly number[]): shape is Shape4 {
  return shape.length === 4;
}

/**
 * Resolves one convolution with tfjs's own arithmetic (so 'same', 'valid', a number or explicit
 * pads and dimRoundingMode mean exactly what they mean to tfjs's ops), and refuses what our
 * kernels do not implement: NCHW, dilation, and non-float32 tensors.
 */
export function resolveConv(
  kernelName: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvGradientAttrs & { dilations?: [number, number] | number },
  operands: readonly TensorInfo[],
): ConvGeometry {
  if (attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernelName} (clsa kernel): dataFormat ${attrs.dataFormat} is not supported; use NHWC`);
  }
  if (!isShape4(inputShape) || !isShape4(filterShape)) {
    throw new Error(
      `${kernelName} (clsa kernel): expected a 4-D input and filter, got ${show(inputShape)} and ${show(filterShape)}`,
    );
  }
  const dilations = attrs.dilations ?? 1;
  if ([dilations].flat().some((d) => d !== 1)) {
    throw new Error(`${kernelName} (clsa kernel): dilations ${String(dilations)} are not supported; use 1`);
  }
  const other = operands.find((t) => t.dtype !== 'float32');
  if (other !== undefined) {
    throw new Error(`${kernelName} (clsa kernel): only float32 is supported, got ${other.dtype}`);
  }
  const info = backend_util.computeConv2DInfo(
    [...inputShape],
    [...filterShape],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.inChannels !== filterShape[2]) {
    throw new Error(
      `${kernelName} (clsa kernel): input ${show(inputShape)} has ${info.inChannels} channels but filter ${show(filterShape)} expects ${filterShape[2]}`,
    );
  }
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    // Where the output reaches past the input's far edge: tfjs sizes a numeric pad's output with
    // the height's stride and filter on both axes, so with unequal strides the output can run
    // further than the pad says (the stock kernels read zeros there).
    padBottom: Math.max(
      info.padInfo.bottom,
      (info.outHeight - 1) * info.strideHeight + info.filterHeight - info.inHeight - info.padInfo.top,
    ),
    padRight: Math.max(
      info.padInfo.right,
      (info.outWidth - 1) * info.strideWidth + info.filterWidth - info.inWidth - info.padInfo.left,
    ),
  };
}

/** resolveConv for a gradient kernel, which also refuses a `dy` that is not the forward op's output shape. */
export function convGeometry(
  kernelName: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  dy: TensorInfo,
  attrs: ConvGradientAttrs,
  operands: readonly TensorInfo[],
): ConvGeometry {
  const g = resolveConv(kernelName, inputShape, filterShape, attrs, operands);
  const expected = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  if (expected.some((size, axis) => size !== dy.shape[axis])) {
    throw new Error(
      `${kernelName} (clsa kernel): dy has shape ${show(dy.shape)} but input ${show(inputShape)} and filter ${show(filterShape)} give ${show(expected)}`,
    );
  }
  return g;
}
