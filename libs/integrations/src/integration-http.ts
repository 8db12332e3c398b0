import { Agent, fetch, type RequestInit, type Response } from 'undici';
import type { LookupFn } from './guarded-lookup';
import { guardedLookup } from './guarded-lookup';

export interface IntegrationHttpOptions {
  /** CIDRs a test may reach (its local fakes); production passes none. */
  allowedAddresses?: readonly string[];
  /** DNS resolution, replaceable in tests to simulate rebinding. */
  resolve?: LookupFn;
  connectTimeoutMs?: number;
}

/**
 * The only way out to Confluence, ServiceNow and Azure DevOps: every connection's address is checked when it
 * is dialled, and redirects are never followed (a redirect could point at an internal address, and would
 * carry the credentials along).
 */
export class IntegrationHttp {
  private readonly agent: Agent;

  constructor(options: IntegrationHttpOptions = {}) {
    this.agent = new Agent({
      connect: { lookup: guardedLookup(options.allowedAddresses ?? [], options.resolve), timeout: options.connectTimeoutMs ?? 10_000 },
    });
  }

  fetch(url: URL | string, init: RequestInit = {}): Promise<Response> {
    return fetch(url, { ...init, redirect: 'manual', dispatcher: this.agent });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
