import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EncodersController } from './encoders.controller.js';
import { EncodersRepository } from './encoders.repository.js';
import { EncodersService } from './encoders.service.js';

@Module({
  imports: [AuthModule],
  controllers: [EncodersController],
  providers: [EncodersRepository, EncodersService],
  exports: [EncodersService],
})
export class EncodersModule {}
