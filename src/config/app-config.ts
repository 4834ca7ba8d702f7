import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { EnvVars } from './env.js';

export type BackendKind = 'local' | 'gluster';

/** `json` for machines (journald, collectors), `pretty` for a terminal, `text` for a plain-text file. */
export type LogFormat = 'json' | 'pretty' | 'text';

/** pino's level names; LOG_LEVEL takes Nest's, mapped here. */
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const PINO_LEVELS: Record<string, LogLevelName> = {
  debug: 'debug',
  error: 'error',
  fatal: 'fatal',
  log: 'info',
  verbose: 'trace',
  warn: 'warn',
};

export interface AuthConfig {
  adminKey: string;
  /** True when no HEKETI_ADMIN_KEY was configured and piragua made one up for this run. */
  adminKeyGenerated: boolean;
  iatLeewaySeconds: number;
  userKey?: string;
}

export type CsiMode = 'controller' | 'node' | 'all';

/** The CSI front end; served only when PIRAGUA_CSI_ENDPOINT is set. */
export interface CsiConfig {
  /** As configured, `unix:///<path>`; undefined: no CSI served. */
  endpoint?: string;
  mode: CsiMode;
  nodeId: string;
  /** The socket file the endpoint names. */
  socketPath?: string;
  stateDir: string;
}

/** HeketiApiClient's defaults, for a CSI controller that provisions through a piragua REST API. */
export interface HeketiApiConfig {
  caFile?: string;
  key?: string;
  url?: string;
  user: string;
}

export interface GlusterConfig {
  cli: string;
  enableQuota: boolean;
  mountDir: string;
  overcommit: number;
  server: string;
  timeoutMs: number;
  volumes: string[];
}

/** Typed, validated configuration; built once from the environment by ConfigModule. */
export class AppConfig {
  readonly auth: AuthConfig;
  readonly backend: BackendKind;
  readonly csi: CsiConfig;
  readonly gluster: GlusterConfig;
  /** Random per process start; tells this run's operations from those of an earlier one. */
  readonly incarnation = randomBytes(8).toString('hex');
  readonly heketiApi: HeketiApiConfig;
  readonly http: { listenAddress: string; port: number; tls?: { certFile: string; keyFile: string } };
  /** Names this instance in operation records; one per Gluster server, stable across restarts. */
  readonly instanceId: string;
  /** An instance whose heartbeat is older than this is dead, and its unfinished operations are taken over. */
  readonly instanceTimeoutMs: number;
  readonly local: { dataDir: string; volumeName: string };
  readonly log: { format: LogFormat; level: LogLevelName };
  readonly maxInflightOperations: number;
  readonly reconcileIntervalMs: number;
  readonly refreshIntervalMs: number;
  /** How many pre-made quota directories to keep ready, by size in GiB; empty: no pool. */
  readonly warmPool: ReadonlyMap<number, number>;

  /** `terminal`: whether stdout is a TTY, which picks the default LOG_FORMAT. */
  constructor(env: Readonly<EnvVars>, terminal = process.stdout.isTTY === true) {
    const adminKey = env.HEKETI_ADMIN_KEY;
    this.auth = {
      adminKey: adminKey ?? randomBytes(24).toString('base64url'),
      adminKeyGenerated: adminKey === undefined,
      iatLeewaySeconds: env.HEKETI_JWT_IAT_LEEWAY_SECONDS ?? 120,
      userKey: env.HEKETI_USER_KEY,
    };
    this.backend = (env.PIRAGUA_BACKEND as BackendKind | undefined) ?? 'local';
    this.csi = {
      endpoint: env.PIRAGUA_CSI_ENDPOINT,
      mode: (env.PIRAGUA_CSI_MODE as CsiMode | undefined) ?? 'all',
      nodeId: env.PIRAGUA_CSI_NODE_ID ?? hostname(),
      socketPath: env.PIRAGUA_CSI_ENDPOINT && resolve(env.PIRAGUA_CSI_ENDPOINT.slice('unix://'.length)),
      stateDir: resolve(env.PIRAGUA_CSI_STATE_DIR ?? '/var/lib/piragua/csi'),
    };
    this.gluster = {
      cli: env.GLUSTER_CLI ?? 'gluster',
      enableQuota: env.PIRAGUA_ENABLE_QUOTA ?? false,
      mountDir: resolve(env.PIRAGUA_MOUNT_DIR ?? '/var/lib/piragua/mounts'),
      overcommit: env.PIRAGUA_OVERCOMMIT ?? 1,
      server: env.PIRAGUA_GLUSTER_SERVER ?? 'localhost',
      timeoutMs: (env.PIRAGUA_GLUSTER_TIMEOUT_SECONDS ?? 120) * 1000,
      volumes: env.PIRAGUA_GLUSTER_VOLUMES?.split(',').filter(Boolean) ?? [],
    };
    this.heketiApi = {
      caFile: env.PIRAGUA_HEKETI_CA,
      key: env.PIRAGUA_HEKETI_KEY,
      url: env.PIRAGUA_HEKETI_URL?.replace(/\/+$/, ''),
      user: env.PIRAGUA_HEKETI_USER ?? 'admin',
    };
    // Without a configured key the service must not be reachable from other machines.
    this.http = {
      listenAddress: this.auth.adminKeyGenerated ? '127.0.0.1' : (env.PIRAGUA_LISTEN_ADDRESS ?? '0.0.0.0'),
      port: env.HEKETI_HTTP_PORT ?? 8080,
      tls:
        env.PIRAGUA_TLS_CERT && env.PIRAGUA_TLS_KEY
          ? { certFile: env.PIRAGUA_TLS_CERT, keyFile: env.PIRAGUA_TLS_KEY }
          : undefined,
    };
    this.instanceId = env.PIRAGUA_INSTANCE_ID ?? hostname();
    this.instanceTimeoutMs = (env.PIRAGUA_INSTANCE_TIMEOUT_SECONDS ?? 60) * 1000;
    this.local = {
      dataDir: resolve(env.PIRAGUA_DATA_DIR ?? './data'),
      volumeName: env.PIRAGUA_LOCAL_VOLUME_NAME ?? 'local',
    };
    this.log = {
      format: (env.LOG_FORMAT as LogFormat | undefined) ?? (terminal ? 'pretty' : 'json'),
      level: PINO_LEVELS[env.LOG_LEVEL ?? 'log'] ?? 'info',
    };
    this.maxInflightOperations = env.HEKETI_MAX_INFLIGHT_OPERATIONS ?? 64;
    this.reconcileIntervalMs = (env.PIRAGUA_RECONCILE_SECONDS ?? 60) * 1000;
    this.refreshIntervalMs = (env.PIRAGUA_REFRESH_SECONDS ?? 30) * 1000;
    this.warmPool = new Map(
      (env.PIRAGUA_WARM_POOL?.split(',') ?? []).map((entry) => entry.split(':').map(Number) as [number, number]),
    );
  }

  /** Problems that only show when variables are combined; reported like the per-variable ones. */
  crossChecks(env: Readonly<EnvVars>): string[] {
    const problems: string[] = [];
    if (this.backend === 'gluster' && this.gluster.volumes.length === 0) {
      problems.push('PIRAGUA_GLUSTER_VOLUMES: required when PIRAGUA_BACKEND=gluster');
    }
    if (this.warmPool.size > 0 && this.backend !== 'gluster') {
      problems.push(
        'PIRAGUA_WARM_POOL: only for PIRAGUA_BACKEND=gluster (local creates need no gluster command to wait for)',
      );
    }
    if ((env.PIRAGUA_TLS_CERT === undefined) !== (env.PIRAGUA_TLS_KEY === undefined)) {
      problems.push('PIRAGUA_TLS_CERT and PIRAGUA_TLS_KEY: set both for HTTPS, or neither');
    }
    if (env.HEKETI_USER_KEY !== undefined && env.HEKETI_USER_KEY === env.HEKETI_ADMIN_KEY) {
      problems.push('HEKETI_USER_KEY: must differ from HEKETI_ADMIN_KEY, or a user token would pass as admin');
    }
    if (env.PIRAGUA_CSI_MODE !== undefined && this.csi.endpoint === undefined) {
      problems.push('PIRAGUA_CSI_MODE: needs PIRAGUA_CSI_ENDPOINT, the socket to serve CSI on');
    }
    return problems;
  }

  /**
   * True when this process serves only CSI: a node plugin (no REST API, no backend), or a
   * controller that provisions through PIRAGUA_HEKETI_URL rather than a backend of its own.
   */
  get csiOnly(): boolean {
    return this.csi.endpoint !== undefined && (this.csi.mode === 'node' || this.heketiApi.url !== undefined);
  }
}
