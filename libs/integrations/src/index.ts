export * from './guarded-lookup';
export * from './url-policy';
export * from './integration-http';
export * from './credential-cipher';
