/**
 * Golden outputs recorded from real Pillow (9.4.0, Debian bookworm, x86-64; the code paths these ops
 * use are unchanged through Pillow 12.3) on one seeded 6×5 image, so CI — which has no Pillow —
 * still pins every op to Pillow's exact bytes. The wide, randomised comparison is
 * `npx tsx scripts/pil-crosscheck.ts`; regenerate these from Pillow, never from our own output.
 */
import { describe, expect, it } from 'vitest';

import { type RgbImage } from './image.js';
import { gaussianBlur } from './pil-blur.js';
import { autocontrast, equalize, posterize, solarize } from './pil-color.js';
import { enhanceBrightness, enhanceColor, enhanceContrast, enhanceSharpness, grayscale } from './pil-enhance.js';
import { rotate, shearX, shearY, translateX, translateY } from './pil-geometry.js';
import { resizedCrop } from './pil-resize.js';
import { adjustHue } from './weak-color.js';

function rgb(width: number, height: number, hex: string): RgbImage {
  return { width, height, data: Uint8Array.from(Buffer.from(hex, 'hex')) };
}

const input = rgb(
  6,
  5,
  '7a4e8d343ab14085bd36a95e313e979339653fb59437b84761c8bd37bbbd8d346033b64a72934cb246ba76b75642bcba588740b438b837c65ca7b095789fbd9c84746756663cbb74aea67f9a71c33a46ab93527f4ea593323bb6',
);

const CASES: readonly (readonly [string, () => RgbImage, string])[] = [
  [
    'autocontrast',
    () => autocontrast(input),
    '8e2c95050adb1d8bf309c93a0011a9be08481bdea30be30d5dfff30be8f3b3003e03df137ea317fb1fed86e12a21eaed4b8f00ff06e90bfb36e5d5a58ab8f3d08965693a4915e865f3c47acc69ff111fd0be337a38c2a1010ce5',
  ],
  [
    'equalize',
    () => equalize(input),
    '7a4e8d343ab14085bd36a95e313e979339653fb59437b84761c8bd37bbbd8d346033b64a72934cb246ba76b75642bcba588740b438b837c65ca7b095789fbd9c84746756663cbb74aea67f9a71c33a46ab93527f4ea593323bb6',
  ],
  [
    'posterize 5',
    () => posterize(input, 5),
    '7848883038b04080b830a85830389090386038b09030b84060c8b830b8b888306030b048709048b040b870b05040b8b8588040b038b830c058a0b0907898b898807060506038b870a8a0789870c03840a890507848a0903038b0',
  ],
  [
    'solarize 130.4',
    () => solarize(input, 130.4),
    '7a4e72343a4e407a4236565e313e686c39653f4a6b37474761374237444272346033494a726c4c4d46457648564243455878404b384737395c584f6a786042637b746756663c447451597f65713c3a46546c527f4e5a6c323b49',
  ],
  [
    'Brightness 0.77',
    () => enhanceBrightness(input, 0.77),
    '5d3c6c282c88316691298248252f74712b4d308b712a8d364a9a912a8f916c2849278c3857713a89358f5a8c4232908f4367318a2b8d2a98468087725c7a917865594f424e2e8f59857f617657962c3583713f613c7f71262d8c',
  ],
  [
    'Brightness 1.4',
    () => enhanceBrightness(input, 1.4),
    'aa6dc54851f759baff4bec834456d3cd4f8d58fdcf4dff6387ffff4dffffc5488647fe679fcd6af962ffa5ff785cffff7bbd59fc4eff4dff80e9f6d0a8deffdab8a290788e54ffa2f3e8b1d79eff5162efcd72b16de7cd4652fe',
  ],
  [
    'Color 0.14',
    () => enhanceColor(input, 0.14),
    '655f684344546f788073847941434f61545a82938e7a8c7c9eacaa8699995b4f55778a7b7e83797c6d7d949d8f8b9c9b6d746a766476829687a9aaa792989c8b88865e5c5e819389a5a49e89838f4b4c5b70676d808c8a434455',
  ],
  [
    'Color 1.9',
    () => enhanceColor(input, 1.9),
    '8f3cb3232fff0e91fc00cf411f38e1c71c6f00d89900e50f21e4cf00dee1c0176a00e31664a31ce91cf956d21900ddd9419a13f409fc00f72ea4b5825ca6dfad7f61704f6e00e45db7a75dab5df9283efeb73b9118be9c2031ff',
  ],
  [
    'Contrast 0.5',
    () => enhanceContrast(input, 0.5),
    '7a6483575a955d7f9b58916c555c8886596f5c97875899606da19b589a9b83576d56986276866396609a7898685e9b9a69805d97599958a06b909587798c9b8b7f777068705b9a7794907c8a759e5a609286667c648f86565a98',
  ],
  [
    'Contrast 2.3',
    () => enhanceContrast(input, 2.3),
    '7a14a50000f80093ff00e6390000bcb3004900ffb500ff0440ffff00ffffa5003e00ff0b67b310fa02ff70ff2700ffff2b9700ff00ff00ff35e1f6b875cfffc8916c4e274c00ff6cf1df85c365ff0002eab31e8514dcb30000ff',
  ],
  [
    'Sharpness 0.05',
    () => enhanceSharpness(input, 0.05),
    '7a4e8d343ab14085bd36a95e313e979339653fb59451997457a8a4489f9b6c617333b64a72934c83859572aa805ba1985f8667b438b837c65c8c9a907d8ca779847e676c7c3cbb74aea67f9a71c33a46ab93527f4ea593323bb6',
  ],
  [
    'Sharpness 1.95',
    () => enhanceSharpness(input, 1.95),
    '7a4e8d343ab14085bd36a95e313e979339653fb5941cd6196ae7d525d6dead064c33b64a72934ce006de79c32b28d6db508718b438b837c65cc1c59972b2d2be8369673f4f3cbb74aea67f9a71c33a46ab93527f4ea593323bb6',
  ],
  [
    'ShearX 0.27',
    () => shearX(input, 0.27),
    '7a4e8d343ab14085bd36a95e313e979339653fb59437b84761c8bd37bbbd8d346033b64ab246ba76b75642bcba588740b438b8808080a7b095789fbd9c84746756663cbb748080809a71c33a46ab93527f4ea593323bb6808080',
  ],
  [
    'ShearY -0.21',
    () => shearY(input, -0.21),
    '7a4e8d343ab18080808080808080808080803fb59437b8474085bd36a95e313e9793396572934cb246ba61c8bd37bbbd8d346033b64a37c65ca7b09576b75642bcba588740b438b8aea67f9a71c3789fbd9c84746756663cbb74',
  ],
  [
    'TranslateX -1.26',
    () => translateX(input, -1.26),
    '8080807a4e8d343ab14085bd36a95e313e978080803fb59437b84761c8bd37bbbd8d346080808072934cb246ba76b75642bcba58874080808037c65ca7b095789fbd9c8474675666808080aea67f9a71c33a46ab93527f4ea593',
  ],
  [
    'TranslateY 1.05',
    () => translateY(input, 1.05),
    '3fb59437b84761c8bd37bbbd8d346033b64a72934cb246ba76b75642bcba588740b438b837c65ca7b095789fbd9c84746756663cbb74aea67f9a71c33a46ab93527f4ea593323bb6808080808080808080808080808080808080',
  ],
  [
    'rotate 17.3',
    () => rotate(input, 17.3),
    '8080804085bd36a95e313e9733b64a33b64a7a4e8d37b84761c8bd37bbbd8d3460b438b83fb594b246ba76b75642bcba5887403cbb7472934ca7b095789fbd9c8474675666323bb637c65c37c65c9a71c33a46ab93527f808080',
  ],
  [
    'rotate -27',
    () => rotate(input, -27),
    '8080803fb594343ab14085bd36a95e80808072934cb246ba61c8bd61c8bd36a95e313e9737c65ca7b09576b75642bcba8d346033b64a9a71c33a46ab9c84749c8474588740b438b88080803a46ab93527f4ea5933cbb74808080',
  ],
  [
    'rotate 90 (not square: affine)',
    () => rotate(input, 90),
    '93396533b64ab438b83cbb74323bb6808080313e978d34605887406756664ea59380808036a95e37bbbd42bcba9c847493527f8080804085bd61c8bd76b756789fbd3a46ab808080343ab137b847b246baa7b0959a71c3808080',
  ],
  [
    'rotate 180',
    () => rotate(input, 180),
    '323bb64ea59393527f3a46ab9a71c3aea67f3cbb746756669c8474789fbda7b09537c65cb438b858874042bcba76b756b246ba72934c33b64a8d346037bbbd61c8bd37b8473fb594933965313e9736a95e4085bd343ab17a4e8d',
  ],
  [
    'GaussianBlur 0.77',
    () => gaussianBlur(input, 0.77),
    '61639047689d438aa43f8f874f5a7e71516955958154948355a99d4d9e98616c746477686a976f808a8a71a28d5e9f90677a72796d856dab728897957a8e9c788387647a7855818693a1868a81a76a67a376698b597c8d4065a0',
  ],
  [
    'GaussianBlur 2',
    () => gaussianBlur(input, 2),
    '5d838d5c828d5a818b5b7c875d768160717d63878b61868c5f838b5f7e885f78846173806b8c8a69898b65858c637f8a617987607585748f8a708b8c6b858d677f8d62798b60758a7a908b768b8d6f848f697e8f62788f5e748e',
  ],
  [
    'hue +0.05',
    () => adjustHue(input, 0.05),
    '8b4f8d4f34b14064bd36a97c40319793394c3fb5b438b86b61b8c83896bd8d354933b66e5e934cba46a35db756429ebc458740b8389837c681a0b095788dbd9c8e746756613cbb96a9ae80b171c34d3aab93526e4ea0a54e33b6',
  ],
  [
    'hue -0.1',
    () => adjustHue(input, -0.1),
    '544f8d3486b140bdaa54a936317b978c39933fb54d74b83861c87e38bd7084358d6bb633938a4c6c46bab1b75642bc708387406838b86ac637b0a99578bdb19c747c5e566751bb3cae8b807179c33a8aab8052934ea55f3389b6',
  ],
  [
    'convert L',
    () => grayscale(input),
    '6262624646467777777e7e7e4444445959598e8e8e858585a8a8a89494945454548383838181817474749999999797977171716c6c6c8f8f8faaaaaa9797978989895d5d5d8d8d8da4a4a48787874e4e4e6b6b6b898989464646',
  ],
  [
    'crop (1, 1, 5, 4), resize 9×9 BILINEAR',
    () => resizedCrop(input, { left: 1, top: 1, width: 4, height: 3 }, 9),
    '37b8473ebb5b51c28f5fc7bd4cc2bd39bcbd5887997f4b708d346037b8473ebb5b51c28f5fc7bd4cc2bd39bcbd5887997f4b708d346060926d619a7565b08966c29d51bfab3dbcba5492947162677b5055896c94857a8f799d836cbc7c57bd9a41bcb74f9c9062795d6a6b4bb246baa859a98d8b7d73b75c5cba8845bcb44ba78b549054588740ae69aea575a58c948d75ae7b6bad8e61aaa05f95825d7f5b5d774dab8da1a291a08b9d9d78a69a7b9f937e988c738478676f61626659a7b0959fad9c8aa6ad7a9db98a92999a867887726f705e68675666a7b0959fad9c8aa6ad7a9db98a92999a867887726f705e68675666',
  ],
  [
    'resize 3×2 BILINEAR (shrinking: the filter widens)',
    () => resizedCrop(input, { left: 0, top: 0, width: 6, height: 5 }, 3, 2),
    '5a8888519c96626b7380988b7585935e7982',
  ],
];

describe('byte-exact against Pillow (recorded)', () => {
  it.each(CASES)('%s', (_name, run, expected) => {
    const out = run();
    expect(Buffer.from(out.data).toString('hex')).toBe(expected);
  });
});
