import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { HeketiAuthGuard } from './heketi-auth.guard.js';
import { HeketiJwtStrategy } from './heketi-jwt.strategy.js';

@Module({
  imports: [PassportModule],
  providers: [{ provide: APP_GUARD, useClass: HeketiAuthGuard }, HeketiJwtStrategy],
})
export class AuthModule {}
