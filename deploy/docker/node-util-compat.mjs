// Preloaded by the GPU worker image (`node --import`): @tensorflow/tfjs-node(-gpu) 4.22.0, the latest
// release, calls util.isNullOrUndefined (and util.isArray), which Node 23 removed from node:util, so
// every tfjs-node kernel throws on Node 24 without this. The fix is merged upstream but unreleased
// (tensorflow/tfjs#8425). tfjs-node is CommonJS: require('util') returns the object patched here.
import util from 'node:util';

if (typeof util.isNullOrUndefined !== 'function') {
  util.isNullOrUndefined = (value) => value === null || value === undefined;
}
if (typeof util.isArray !== 'function') {
  util.isArray = Array.isArray;
}
