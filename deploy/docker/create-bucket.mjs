// One-shot: creates S3_BUCKET on S3_ENDPOINT unless it exists, waiting up to two minutes for the
// store to answer. Compose runs it (service s3-init) before the API starts; it uses the app's own
// S3 client and credentials, so it works against any S3-compatible store.
import { Client } from 'minio';

const endpoint = new URL(process.env.S3_ENDPOINT ?? '');
const bucket = process.env.S3_BUCKET ?? '';
const region = process.env.S3_REGION || 'us-east-1';
const client = new Client({
  endPoint: endpoint.hostname,
  port: endpoint.port ? Number(endpoint.port) : undefined,
  useSSL: endpoint.protocol === 'https:',
  accessKey: process.env.S3_ACCESS_KEY ?? '',
  secretKey: process.env.S3_SECRET_KEY ?? '',
  region,
  pathStyle: true,
});

const deadline = Date.now() + 120_000;
for (;;) {
  try {
    if (await client.bucketExists(bucket)) {
      console.log(`bucket ${bucket} exists on ${endpoint.origin}`);
    } else {
      await client.makeBucket(bucket, region);
      console.log(`created bucket ${bucket} on ${endpoint.origin}`);
    }
    process.exit(0);
  } catch (error) {
    if (Date.now() > deadline) {
      console.error(`cannot create bucket ${bucket} on ${endpoint.origin}: ${String(error)}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
