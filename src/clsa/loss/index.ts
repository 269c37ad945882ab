/** CLSA's losses: InfoNCE (L_C), distributional divergence minimisation (L_D) and their sum. */
export * from './candidates.js';
export * from './clsa-loss.js';
export * from './contrastive.js';
export * from './ddm.js';
