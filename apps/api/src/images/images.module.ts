import { Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IssuesModule } from '../issues/issues.module';
import { SettingsModule } from '../settings/settings.module';
import { ImageSanitiser } from './image-sanitiser.service';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';
import { installRouteBodyLimits } from './route-body-limit';

@Module({ imports: [IssuesModule, SettingsModule], controllers: [ImagesController], providers: [ImagesService, ImageSanitiser] })
export class ImagesModule {
  // Modules are built in NestFactory.create, before app.init() registers the routes; the hook sees them all.
  constructor(adapterHost: HttpAdapterHost) {
    const fastify = adapterHost.httpAdapter?.getInstance();
    if (fastify) installRouteBodyLimits(fastify);
  }
}
