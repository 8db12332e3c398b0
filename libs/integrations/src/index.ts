export * from './guarded-lookup';
export * from './url-policy';
export * from './integration-http';
export * from './credential-cipher';
export * from './publishers';
export * from './render';
export * from './target-policy';
export * from './webhooks';
