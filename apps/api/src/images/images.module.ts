import { Module } from '@nestjs/common';
import { IssuesModule } from '../issues/issues.module';
import { SettingsModule } from '../settings/settings.module';
import { ImageSanitiser } from './image-sanitiser.service';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';

@Module({ imports: [IssuesModule, SettingsModule], controllers: [ImagesController], providers: [ImagesService, ImageSanitiser] })
export class ImagesModule {}
