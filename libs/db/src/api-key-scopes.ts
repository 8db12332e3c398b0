/**
 * The API key scopes, alone in a module without dependencies: the CLI builds its `keys` command from them at
 * start-up, and importing the repository for them loaded uuid (21 modules) into every command, `pii scan` too.
 * metrics: GET /metrics only, for Prometheus, which then needs no admin key. ingest: the shipper endpoints only.
 */
export const API_KEY_SCOPES = ['read', 'write', 'admin', 'pii:reveal', 'ingest', 'metrics'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
