import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { findProjectRoot } from '../../src/common/project-root.js';

type Callback = (error: grpc.ServiceError | null, response: unknown) => void;
type UnaryMethod = (request: object, metadata: grpc.Metadata, callback: Callback) => void;
type StreamMethod = (request: object, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;

/** What a server-streaming call delivered: its messages and how it ended (code 0: OK). */
export interface StreamResult<T> {
  messages: T[];
  status: grpc.StatusObject;
}

/** A plain @grpc/grpc-js client over the committed protos, as any user's client would be built. */
export function grpcClient(
  address: string,
  service: string,
  protos: string[] = ['clsa/v1/teams.proto', 'clsa/v1/api_keys.proto'],
) {
  const definition = protoLoader.loadSync(protos, {
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
  /** Reads a server-streaming call to its end, whatever its status. */
  function stream<T>(method: string, request: object, apiKey?: string): Promise<StreamResult<T>> {
    const metadata = new grpc.Metadata();
    if (apiKey !== undefined) metadata.set('authorization', `Bearer ${apiKey}`);
    const fn = client[method] as unknown as StreamMethod | undefined;
    if (fn === undefined) throw new Error(`no method ${method}`);
    const call = fn.call(client, request, metadata);
    const messages: T[] = [];
    call.on('data', (message: T) => messages.push(message));
    call.on('error', () => {}); // the status below says how it ended
    const ended = new Promise<void>((resolve) => call.on('end', resolve).on('error', () => resolve()));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    return Promise.all([ended, status]).then(([, s]) => ({ messages, status: s }));
  }
  return { call, stream, close: () => client.close(), raw: client };
}

export { fromStruct, type StructMessage, toStruct } from '../../src/common/grpc-struct.js';
