import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { RequestScope } from '../common/request-scope.js';
import { charsetOf, MAX_BODY_BYTES, parseHeketiBody } from './heketi-body.parser.js';

const DECOMPRESSORS: Record<string, () => NodeJS.ReadWriteStream> = {
  br: createBrotliDecompress,
  deflate: createInflate,
  gzip: createGunzip,
};

const NO_BYTES = Buffer.alloc(0);

function hasBody(request: Request): boolean {
  return request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0';
}

/** The bytes as sent, or inflated when compressed: the limit then applies to what the body inflates to. */
function decodedStream(request: Request, encoding: string): Readable {
  const decompressor = DECOMPRESSORS[encoding];
  if (decompressor === undefined) {
    return request;
  }
  const inflated = request.pipe(decompressor()) as unknown as Readable;
  request.on('error', (error) => inflated.destroy(error));
  return inflated;
}

/**
 * Reads at most MAX_BODY_BYTES. On a refusal the rest of the request is drained first (as
 * body-parser did), so the client reads the answer instead of a reset connection.
 */
function readBody(request: Request, encoding: string, done: (error: Error | null, bytes?: Buffer) => void): void {
  if (encoding === 'identity' && Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    request.resume();
    request.once('end', () => done(new PayloadTooLargeException()));
    return;
  }
  const stream = decodedStream(request, encoding);
  const chunks: Buffer[] = [];
  let length = 0;
  let finished = false;
  const finish = (error: Error | null, bytes?: Buffer): void => {
    if (finished) {
      return;
    }
    finished = true;
    if (error === null) {
      done(null, bytes);
      return;
    }
    stream.removeAllListeners('data');
    request.unpipe();
    request.resume();
    if (request.readableEnded) {
      done(error);
    } else {
      request.once('end', () => done(error));
    }
  };
  stream.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > MAX_BODY_BYTES) {
      finish(new PayloadTooLargeException());
    } else {
      chunks.push(chunk);
    }
  });
  stream.once('error', (error: Error) => finish(new BadRequestException(error.message)));
  stream.once('end', () => finish(null, Buffer.concat(chunks, length)));
}

/**
 * Every request body is read as Heketi's JSON (see parseHeketiBody), on every method and whatever
 * its Content-Type: Go reads a GET's body too, so an oversized one is a 413 on any route. Compressed
 * bodies (gzip, deflate, br) are inflated; one in an encoding nobody can read does not parse.
 */
export function heketiBodies(request: Request, _response: Response, next: NextFunction): void {
  const charset = charsetOf(request.headers['content-type']);
  if (!hasBody(request)) {
    request.body = parseHeketiBody(request.method, NO_BYTES, charset);
    next();
    return;
  }
  const encoding = request.headers['content-encoding']?.toLowerCase() ?? 'identity';
  const readable = encoding === 'identity' || encoding in DECOMPRESSORS;
  // Stream events run outside the request's scope: the rest of the request is resumed inside it.
  const requestId = RequestScope.id();
  readBody(request, encoding, (error, bytes) => {
    const resume = (): void => {
      if (error !== null) {
        next(error);
        return;
      }
      request.body = parseHeketiBody(request.method, bytes!, readable ? charset : 'unsupported');
      next();
    };
    if (requestId === undefined) {
      resume();
    } else {
      RequestScope.run(requestId, resume);
    }
  });
}
