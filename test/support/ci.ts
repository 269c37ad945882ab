/** Whether this run is CI's (CI=true), where a missing test prerequisite is a failure, not a skip. */
export const isCI = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
