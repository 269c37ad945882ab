import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the suite's Postgres; specs create their own database on it. */
    postgresAdminUrl: string;
    s3Server: {
      kind: 'env' | 'versitygw' | 's3rver';
      endpoint: string;
      accessKey: string;
      secretKey: string;
      region: string;
    };
  }
}
