import { PutBucketPolicyCommand, PutBucketWebsiteCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Server } from './server.js';

/** The S3 bucket policy that lets anyone read every object of `bucket` (an R2 public bucket's equivalent). Pure. */
export function publicReadPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/*`] },
    ],
  });
}

/** Options of `allowPublicReads`. */
export interface AllowPublicReadsOptions {
  /**
   * Also configure the bucket's website: a request for `dir/` serves `dir/<indexDocument>` on the
   * server's website endpoint (`startS3Server({ website: true })`).
   */
  indexDocument?: string;
}

/**
 * Opens `bucket` of a running server to anonymous reads, as a CDN or public bucket serves it: the
 * deployment's part, done the way it would be there (PutBucketPolicy, and PutBucketWebsite when an
 * index document is given).
 */
export async function allowPublicReads(
  server: Pick<S3Server, 'endpoint' | 'accessKey' | 'secretKey'>,
  bucket: string,
  options: AllowPublicReadsOptions = {},
): Promise<void> {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
  try {
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
    if (options.indexDocument !== undefined) {
      await client.send(
        new PutBucketWebsiteCommand({
          Bucket: bucket,
          WebsiteConfiguration: { IndexDocument: { Suffix: options.indexDocument } },
        }),
      );
    }
  } finally {
    client.destroy();
  }
}
