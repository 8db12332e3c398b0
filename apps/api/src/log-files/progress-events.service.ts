import { Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { LogFileDetailResponse, toLogFileDetailResponse } from './log-files.dto';
import { LogFilesService } from './log-files.service';

const POLL_MS = 500;

/**
 * Progress as Server-Sent Events. The worker writes progress to the shared database, so the API polls its
 * own cheap row read and sends only changes; it ends when the file is ready or failed.
 */
@Injectable()
export class ProgressEvents {
  constructor(private readonly logFiles: LogFilesService) {}

  stream(id: string): Observable<{ type: string; data: LogFileDetailResponse }> {
    const first = this.snapshot(id);
    return new Observable((subscriber) => {
      let last = '';
      const emit = (data: LogFileDetailResponse) => {
        const key = JSON.stringify(data);
        if (key !== last) {
          last = key;
          subscriber.next({ type: 'progress', data });
        }
        if (data.status === 'ready' || data.status === 'failed') {
          clearInterval(timer);
          subscriber.complete();
        }
      };
      const timer = setInterval(() => {
        try {
          emit(this.snapshot(id));
        } catch (err) {
          clearInterval(timer);
          subscriber.error(err);
        }
      }, POLL_MS);
      emit(first);
      return () => clearInterval(timer);
    });
  }

  private snapshot(id: string): LogFileDetailResponse {
    const { file, processing } = this.logFiles.getWithProcessing(id);
    return toLogFileDetailResponse(file, processing);
  }
}
