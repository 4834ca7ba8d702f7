import { Logger as NestPinoLogger, PinoLogger, type Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';
import { requestIdField } from './request-logger.js';

/**
 * Nothing logs these today; they are censored in case someone ever logs a request's headers or
 * the whole configuration. Keys and tokens must never reach a log line.
 */
export const REDACTED_PATHS = [
  'adminKey',
  'auth.adminKey',
  'auth.userKey',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'token',
  'userKey',
];

/** pino-pretty for people: colours when the terminal has them (`pretty`), or one plain line per entry (`text`). */
function prettyStream(format: 'pretty' | 'text'): DestinationStream {
  return pinoPretty({
    colorize: format === 'pretty' ? pinoPretty.isColorSupported : false,
    // The request line's message already says method, path, status and duration.
    ignore: 'pid,hostname,context,method,path,status,durationMs',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: format === 'text',
    // Synchronous: for people at a terminal, where a line should show at once.
    sync: true,
    translateTime: format === 'text' ? 'SYS:yyyy-mm-dd HH:MM:ss.l' : 'SYS:HH:MM:ss.l',
  });
}

/**
 * JSON lines for collectors, written asynchronously: lines logged while a write is under way go
 * out together with the next one, so a busy service makes one write per batch rather than one per
 * request, and a slow reader of stdout (journald) never stalls requests. pino writes what is still buffered when the process exits.
 */
function jsonStream(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

/** The one pino logger of the process; `destination` is for tests (default: stdout, formatted per LOG_FORMAT). */
export function createRootLogger(log: AppConfig['log'], destination?: DestinationStream): Logger {
  return pino(
    {
      level: log.level,
      mixin: requestIdField,
      redact: { censor: '[redacted]', paths: REDACTED_PATHS },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? (log.format === 'json' ? jsonStream() : prettyStream(log.format)),
  );
}

const roots = new WeakMap<AppConfig, Logger>();

/** main.ts and LoggingModule must share one logger (one destination), so it is made once per configuration. */
export function rootLoggerFor(config: AppConfig): Logger {
  let root = roots.get(config);
  if (root === undefined) {
    root = createRootLogger(config.log);
    roots.set(config, root);
  }
  return root;
}

/**
 * nestjs-pino's parameters: its loggers write through the root logger, and it mounts no middleware
 * (`forRoutes: []`), since the request logger (request-logger.ts) logs requests and the root
 * logger's mixin gives every line logged while handling one its request id.
 */
export function nestPinoParams(config: AppConfig): Params {
  return { forRoutes: [], pinoHttp: { logger: rootLoggerFor(config), wrapSerializers: false }, useExisting: true };
}

/** Nest's LoggerService over the root logger, for `NestFactory.create`: every `new Logger(X.name)` then writes pino lines with a `context`. */
export function nestLoggerFor(config: AppConfig): NestPinoLogger {
  const params = nestPinoParams(config);
  return new NestPinoLogger(new PinoLogger(params), params);
}
