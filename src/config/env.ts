import { plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { emptyToUndefined, toBool, toNumber, withoutBlanks } from './env-transforms.js';
import { rustPiraguaProblems, withRustPiraguaNames } from './rust-piragua-env.js';

/** Every environment variable piragua reads, with its rule. Names follow Heketi's where one exists. */
export class EnvVars {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  GLUSTER_CLI?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  HEKETI_ADMIN_KEY?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  @Transform(toNumber)
  HEKETI_HTTP_PORT?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86400)
  @Transform(toNumber)
  HEKETI_JWT_IAT_LEEWAY_SECONDS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  @Transform(toNumber)
  HEKETI_MAX_INFLIGHT_OPERATIONS?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  HEKETI_USER_KEY?: string;

  /** Nest's level names; `log` is pino's `info`, `verbose` its `trace`. Audit lines are written whatever the level. */
  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  @Transform(emptyToUndefined)
  LOG_LEVEL?: string;

  /** `json`: one pino JSON object per line; `pretty`: pino-pretty for a terminal; `text`: pino-pretty, one plain line per entry. Default: `pretty` on a TTY, else `json`. */
  @IsOptional()
  @IsIn(['json', 'pretty', 'text'])
  @Transform(emptyToUndefined)
  LOG_FORMAT?: string;

  @IsOptional()
  @IsIn(['local', 'gluster'])
  @Transform(emptyToUndefined)
  PIRAGUA_BACKEND?: string;

  /** Where the CSI front end listens, `unix:///<absolute path>`; unset: no CSI served. */
  @IsOptional()
  @Matches(/^unix:\/\/\/\S+$/, { message: 'PIRAGUA_CSI_ENDPOINT must look like unix:///csi/csi.sock' })
  @Transform(emptyToUndefined)
  PIRAGUA_CSI_ENDPOINT?: string;

  /** Which CSI services this process serves besides Identity. */
  @IsOptional()
  @IsIn(['controller', 'node', 'all'])
  @Transform(emptyToUndefined)
  PIRAGUA_CSI_MODE?: string;

  /** The node id NodeGetInfo reports (default: the host name). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,128}$/, {
    message: 'PIRAGUA_CSI_NODE_ID must be 1-128 letters, digits, dots, dashes or underscores',
  })
  @Transform(emptyToUndefined)
  PIRAGUA_CSI_NODE_ID?: string;

  /** Node-local state of the CSI node service (what it published), default /var/lib/piragua/csi. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_CSI_STATE_DIR?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_DATA_DIR?: string;

  @IsOptional()
  @IsBoolean()
  @Transform(toBool)
  PIRAGUA_ENABLE_QUOTA?: boolean;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3600)
  @Transform(toNumber)
  PIRAGUA_GLUSTER_TIMEOUT_SECONDS?: number;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9.:-]+$/, { message: 'PIRAGUA_GLUSTER_SERVER must be a host name or address' })
  @Transform(emptyToUndefined)
  PIRAGUA_GLUSTER_SERVER?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/, {
    message: 'PIRAGUA_GLUSTER_VOLUMES must be a comma-separated list of Gluster volume names',
  })
  @Transform(withoutBlanks)
  PIRAGUA_GLUSTER_VOLUMES?: string;

  /** A CA certificate file (PEM) that HeketiApiClient trusts besides the system's, for an https PIRAGUA_HEKETI_URL. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_HEKETI_CA?: string;

  /** The key HeketiApiClient signs its tokens with when the request brings no secret. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_HEKETI_KEY?: string;

  /** The piragua (Heketi) REST API a CSI controller provisions through, when the StorageClass names none. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'PIRAGUA_HEKETI_URL must be an http:// or https:// URL' })
  @Transform(emptyToUndefined)
  PIRAGUA_HEKETI_URL?: string;

  /** The issuer (`admin` or `user`) of HeketiApiClient's tokens, default admin. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'PIRAGUA_HEKETI_USER must be a Heketi user name such as admin' })
  @Transform(emptyToUndefined)
  PIRAGUA_HEKETI_USER?: string;

  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(3600)
  @Transform(toNumber)
  PIRAGUA_INSTANCE_TIMEOUT_SECONDS?: number;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'PIRAGUA_INSTANCE_ID must be 1-64 letters, digits, dots, dashes or underscores',
  })
  @Transform(emptyToUndefined)
  PIRAGUA_INSTANCE_ID?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_LISTEN_ADDRESS?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'PIRAGUA_LOCAL_VOLUME_NAME must look like a Gluster volume name' })
  @Transform(emptyToUndefined)
  PIRAGUA_LOCAL_VOLUME_NAME?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_MOUNT_DIR?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_TLS_CERT?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(emptyToUndefined)
  PIRAGUA_TLS_KEY?: string;

  @IsOptional()
  @IsNumber()
  @Min(0.1)
  @Max(100)
  @Transform(toNumber)
  PIRAGUA_OVERCOMMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(86400)
  @Transform(toNumber)
  PIRAGUA_RECONCILE_SECONDS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  @Transform(toNumber)
  PIRAGUA_REFRESH_SECONDS?: number;

  /** Pre-made quota directories kept ready per size, `<GiB>:<count>` comma-separated (Gluster backend only), e.g. `1:16,10:4`. */
  @IsOptional()
  @Matches(/^[1-9]\d{0,5}:[1-9]\d{0,3}(,[1-9]\d{0,5}:[1-9]\d{0,3})*$/, {
    message: 'PIRAGUA_WARM_POOL must be a comma-separated list of <GiB>:<count>, e.g. 1:16,10:4',
  })
  @Transform(withoutBlanks)
  PIRAGUA_WARM_POOL?: string;
}

export class InvalidEnvironmentError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid environment variables:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** The one place that reads process.env: validates every variable and reports all problems at once. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Readonly<EnvVars> {
  const renamed = withRustPiraguaNames(source);
  const known: Record<string, string | undefined> = Object.fromEntries(
    envNames()
      .map((key): [string, string | undefined] => [key, renamed[key]])
      .filter(([, value]) => value !== undefined),
  );
  const vars = plainToInstance(EnvVars, known);
  const problems = [
    ...rustPiraguaProblems(source),
    ...validateSync(vars, { forbidUnknownValues: false }).flatMap((error) =>
      Object.values(error.constraints ?? {}).map((text) =>
        text.startsWith(error.property)
          ? `${text} (got ${JSON.stringify(known[error.property])})`
          : `${error.property}: ${text}`,
      ),
    ),
  ];
  if (problems.length > 0) {
    throw new InvalidEnvironmentError(problems);
  }
  return Object.freeze(vars);
}

/** The names loadEnv picks out of the environment: every EnvVars property carries a rule, so the rules list them all. */
export function envNames(): string[] {
  const rules = getMetadataStorage().getTargetValidationMetadatas(EnvVars, '', true, false);
  return [...new Set(rules.map((rule) => rule.propertyName))];
}
