export * from './blob-format';
export * from './blob-streams';
export * from './blob-store';
