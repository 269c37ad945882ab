import { describe, expect, it } from 'vitest';

import { settleNativeRuntime } from './native-runtime.js';

describe('settleNativeRuntime', () => {
  it("makes OpenMP's threads wait passively unless the operator chose otherwise", () => {
    const unset: NodeJS.ProcessEnv = {};
    settleNativeRuntime(unset);
    expect(unset.OMP_WAIT_POLICY).toBe('PASSIVE');
    const chosen: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'ACTIVE' };
    settleNativeRuntime(chosen);
    expect(chosen.OMP_WAIT_POLICY).toBe('ACTIVE');
  });
});
