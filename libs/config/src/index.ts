export * from './base.config';
export * from './blob-storage.config';
export * from './fault-injection';
export * from './load-config';
export * from './operations.config';
export * from './redis-topology';
export * from './shutdown';
export * from './startup';
