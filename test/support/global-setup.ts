import type { TestProject } from 'vitest/node';
import { startTestPostgres } from './postgres.js';
import { startTestS3 } from './s3-server.js';

/**
 * Starts one real Postgres and one real S3-compatible server for the whole run; each spec file
 * then makes its own database (createTestDatabase) and bucket (createTestBucket) on them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [postgres, s3] = await Promise.all([startTestPostgres(), startTestS3()]);
  console.log(`[test servers] postgres: ${postgres.description}`);
  console.log(`[test servers] S3: ${s3.description}`);
  project.provide('postgresAdminUrl', postgres.adminUrl);
  project.provide('s3Server', {
    kind: s3.kind,
    endpoint: s3.endpoint,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
  });
  return async () => {
    await Promise.allSettled([s3.stop(), postgres.stop()]);
  };
}
