/**
 * The second yardstick for the read path: a bare Nest 12 app on @nestjs/platform-express, as the
 * framework ships it, with one route behind a guard that checks what piragua's guard checks of a
 * Heketi token (its HS256 signature, and `qsh` = sha256 of `METHOD&PATH`) and a fixed JSON answer.
 * What piragua adds over it is piragua's own cost.
 *
 *   node dist-bench/bench/nest-express-reference.js <port> <key>
 */
import 'reflect-metadata';
import { CanActivate, Controller, ExecutionContext, Get, Injectable, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const [port, key] = process.argv.slice(2);
const BODY = JSON.stringify({ id: '0'.repeat(32), name: 'vol_reference', size: 1 });

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingMessage & { originalUrl: string }>();
    const token = /^bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const [header = '', claims = '', signature = ''] = token.split('.');
    const expected = createHmac('sha256', key).update(`${header}.${claims}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return false;
    }
    const { qsh } = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { qsh?: string };
    return qsh === hash('sha256', `${request.method}&${request.originalUrl.split('?', 1)[0]}`);
  }
}

@Controller()
class ReferenceController {
  @Get('volumes/:id')
  @UseGuards(TokenGuard)
  info(): string {
    return BODY;
  }
}

@Module({ controllers: [ReferenceController], providers: [TokenGuard] })
class ReferenceModule {}

const app = await NestFactory.create(ReferenceModule, { logger: false });
await app.listen(Number(port), '127.0.0.1');
console.log('listening');
