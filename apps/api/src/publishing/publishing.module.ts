import { Global, Module } from '@nestjs/common';
import { PublicationRequests } from './publication-requests.service';

/** Publish requests, shared by documents (publish, auto-publish) and issues (a critical issue's incident). */
@Global()
@Module({ providers: [PublicationRequests], exports: [PublicationRequests] })
export class PublishingModule {}
