export * from './blob-format';
export * from './blob-streams';
export * from './blob-store';
export * from './disk-quota';
export * from './temp-files';
export * from './temp-sweeper';
export * from './text-sniff';
