import { Module } from '@nestjs/common';
import { SettingsController } from './settings.controller';
import { SettingsService } from './settings.service';
import { TextRedactor } from './text-redactor.service';

@Module({
  controllers: [SettingsController],
  providers: [SettingsService, TextRedactor],
  exports: [SettingsService, TextRedactor],
})
export class SettingsModule {}
