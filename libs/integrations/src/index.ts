export * from './guarded-lookup';
export * from './url-policy';
export * from './integration-http';
