import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { describe, expect, it } from 'vitest';
import { AppConfig } from '../config/app-config.js';
import { InvalidEnvironmentError, loadEnv } from '../config/env.js';
import { createRootLogger } from './root-logger.js';

function memory(level: AppConfig['log']['level'] = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const root = createRootLogger({ format: 'json', level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, root };
}

describe('LOG_LEVEL and LOG_FORMAT', () => {
  it.each([
    ['fatal', 'fatal'],
    ['error', 'error'],
    ['warn', 'warn'],
    ['log', 'info'],
    ['debug', 'debug'],
    ['verbose', 'trace'],
  ])('should map LOG_LEVEL=%s to pino level %s', (name, level) => {
    expect(new AppConfig(loadEnv({ LOG_LEVEL: name }), false).log.level).toBe(level);
  });

  it('should default to info, pretty on a terminal and JSON elsewhere', () => {
    expect(new AppConfig(loadEnv({}), true).log).toEqual({ format: 'pretty', level: 'info' });
    expect(new AppConfig(loadEnv({}), false).log).toEqual({ format: 'json', level: 'info' });
  });

  it.each(['json', 'pretty', 'text'])('should take LOG_FORMAT=%s whatever stdout is', (format) => {
    expect(new AppConfig(loadEnv({ LOG_FORMAT: format }), true).log.format).toBe(format);
    expect(new AppConfig(loadEnv({ LOG_FORMAT: format }), false).log.format).toBe(format);
  });

  it('should refuse an unknown format or level', () => {
    expect(() => loadEnv({ LOG_FORMAT: 'xml', LOG_LEVEL: 'info' })).toThrow(InvalidEnvironmentError);
  });
});

describe(createRootLogger.name, () => {
  it('should write one JSON object per line with an ISO time', () => {
    const { lines, root } = memory();

    root.info({ context: 'X' }, 'hello');

    expect(lines).toEqual([
      {
        context: 'X',
        hostname: expect.any(String),
        level: 30,
        msg: 'hello',
        pid: process.pid,
        time: expect.any(String),
      },
    ]);
    expect(new Date(lines[0].time as string).toISOString()).toBe(lines[0].time);
  });

  it('should censor keys and Authorization headers if someone ever logs them', () => {
    const { lines, root } = memory();

    root.info(
      {
        auth: { adminKey: 'k1', userKey: 'k2' },
        headers: { authorization: 'bearer t' },
        req: { headers: { authorization: 'bearer t' } },
        token: 't',
      },
      'oops',
    );

    expect(JSON.stringify(lines)).not.toMatch(/k1|k2|bearer t|"t"/);
  });
});

describe('Nest Logger over pino', () => {
  function nestLogger(level: AppConfig['log']['level'] = 'trace') {
    const { lines, root } = memory(level);
    const params = { pinoHttp: { logger: root, wrapSerializers: false }, useExisting: true as const };
    return { lines, logger: new NestPinoLogger(new PinoLogger(params), params) };
  }

  it('should write Nest-style calls as JSON lines with their context', () => {
    const { lines, logger } = nestLogger();

    // What `new Logger(X.name)` passes on: the message, then the context last.
    logger.log('started', 'Bootstrap');
    logger.warn('careful', 'VolumesService');
    logger.error('Operation o failed', 'Error: boom\n    at work (volumes.service.ts:1:1)', 'OperationsService');
    logger.verbose('detail', 'GlusterCli');

    expect(lines.map((line) => [line.level, line.context, line.msg])).toEqual([
      [30, 'Bootstrap', 'started'],
      [40, 'VolumesService', 'careful'],
      [50, 'OperationsService', 'Operation o failed'],
      [10, 'GlusterCli', 'detail'],
    ]);
    expect(lines[2].err).toMatchObject({ stack: expect.stringContaining('at work') });
  });
});
