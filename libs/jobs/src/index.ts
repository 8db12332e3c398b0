export * from './contracts';
export * from './redis';
export * from './clock';
export * from './retry';
