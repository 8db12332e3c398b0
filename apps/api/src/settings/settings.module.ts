import { Module } from '@nestjs/common';
import { Db, DB, SettingRepository } from '@tftsr/db';
import { SettingsController } from './settings.controller';
import { SettingsService } from './settings.service';
import { TextRedactor } from './text-redactor.service';

@Module({
  controllers: [SettingsController],
  providers: [{ provide: SettingRepository, useFactory: (db: Db) => new SettingRepository(db), inject: [DB] }, SettingsService, TextRedactor],
  exports: [SettingsService, TextRedactor],
})
export class SettingsModule {}
