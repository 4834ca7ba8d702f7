import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { CSI_LOADER_OPTIONS } from '../../src/csi/csi.bootstrap.js';
import { CSI_PROTO_PATH } from '../../src/csi/csi-files.js';

type Service = 'Identity' | 'Controller' | 'Node';
type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => void;

export interface CsiFailure {
  code: grpc.status;
  details: string;
}

const definition = loadSync(CSI_PROTO_PATH, CSI_LOADER_OPTIONS);
const csi = (grpc.loadPackageDefinition(definition).csi as grpc.GrpcObject).v1 as grpc.GrpcObject;

/** A CO's view of a CSI plugin: grpc-js clients of its three services over the real UNIX socket. */
export class CsiClient {
  private readonly clients = new Map<Service, grpc.Client>();

  constructor(readonly socketPath: string) {
    for (const service of ['Identity', 'Controller', 'Node'] as const) {
      const Client = csi[service] as grpc.ServiceClientConstructor;
      this.clients.set(service, new Client(`unix://${socketPath}`, grpc.credentials.createInsecure()));
    }
  }

  /** Resolves with the response; rejects with the gRPC error (code, details). */
  call<T = Record<string, unknown>>(
    service: Service,
    method: string,
    request: unknown = {},
    deadlineMs = 60_000,
  ): Promise<T> {
    const client = this.clients.get(service)!;
    const unary = (client as unknown as Record<string, UnaryMethod>)[method];
    if (unary === undefined) {
      throw new Error(`${service} has no method ${method}`);
    }
    return new Promise((resolve, reject) => {
      unary.call(client, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
        error ? reject(error) : resolve(response as T),
      );
    });
  }

  /** The failure a call ends with; throws if it succeeded. */
  async failure(service: Service, method: string, request: unknown = {}): Promise<CsiFailure> {
    try {
      const response = await this.call(service, method, request);
      throw new Error(`${method} succeeded: ${JSON.stringify(response)}`);
    } catch (error) {
      if (typeof (error as grpc.ServiceError).code !== 'number') {
        throw error;
      }
      const { code, details } = error as grpc.ServiceError;
      return { code, details };
    }
  }

  /** Sends raw bytes to a method path, as a client with another (or a broken) proto would. */
  raw(path: string, payload: Buffer): Promise<CsiFailure | Buffer> {
    const client = this.clients.get('Identity')!;
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        path,
        (value: Buffer) => value,
        (value: Buffer) => value,
        payload,
        (error, response) => resolve(error ? { code: error.code, details: error.details } : response!),
      );
    });
  }

  close(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
  }
}

export const MOUNT = (mode = 'SINGLE_NODE_WRITER') => ({ access_mode: { mode }, mount: {} });
export const GIB = 1024 ** 3;
