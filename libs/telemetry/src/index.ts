export * from './infra-metrics';
export * from './logger';
export * from './metrics-registry';
export * from './nest-logger';
export * from './request-context';
