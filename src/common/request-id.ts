import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const assigned = new WeakMap<object, string>();

/** Honour a caller's id when it is safe to log; otherwise make one. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && SAFE_ID.test(header) ? header : randomUUID();
}

export function grpcRequestId(metadata: Metadata): string {
  let id = assigned.get(metadata);
  if (id === undefined) {
    id = requestIdFrom(metadata.get('x-request-id')[0]);
    assigned.set(metadata, id);
  }
  return id;
}
