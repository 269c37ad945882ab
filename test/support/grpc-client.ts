import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { findProjectRoot } from '../../src/common/project-root.js';

type Callback = (error: grpc.ServiceError | null, response: unknown) => void;
type UnaryMethod = (request: object, metadata: grpc.Metadata, callback: Callback) => void;

/** A plain @grpc/grpc-js client over the committed protos, as any user's client would be built. */
export function grpcClient(address: string, service: string) {
  const definition = protoLoader.loadSync(['clsa/v1/teams.proto', 'clsa/v1/api_keys.proto'], {
    includeDirs: [path.join(findProjectRoot(), 'proto')],
    longs: String,
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    clsa: { v1: Record<string, grpc.ServiceClientConstructor> };
  };
  const Service = loaded.clsa.v1[service];
  if (Service === undefined) throw new Error(`no service ${service}`);
  const client = new Service(address, grpc.credentials.createInsecure()) as unknown as grpc.Client &
    Record<string, UnaryMethod>;

  function call<T>(method: string, request: object, apiKey?: string, requestId?: string): Promise<T> {
    const metadata = new grpc.Metadata();
    if (apiKey !== undefined) metadata.set('authorization', `Bearer ${apiKey}`);
    if (requestId !== undefined) metadata.set('x-request-id', requestId);
    return new Promise((resolve, reject) => {
      const fn = client[method];
      if (fn === undefined) throw new Error(`no method ${method}`);
      fn.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response as T)));
    });
  }
  return { call, close: () => client.close(), raw: client };
}
