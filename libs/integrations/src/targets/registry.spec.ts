import { eventName } from '@tftsr/api/documents/document-templates';
import { SERVICES } from '@tftsr/api/integrations/integrations.dto';
import { SETTINGS } from '@tftsr/api/settings/settings.registry';
import { IntegrationHttp } from '../integration-http';
import { createPublisher } from '../publishers';
import { checkBaseUrl, DEFAULT_HOSTS } from '../url-policy';
import { requiredConfigFields, TARGET_NAMES, TARGETS } from './registry';

/** Every list that used to spell the services out now follows the registry: one place to add a target. */
describe('the registry of targets', () => {
  const http = new IntegrationHttp();
  afterAll(() => http.close());

  it('names each target once, under its own name', () => {
    expect(TARGET_NAMES).toEqual(['confluence', 'servicenow', 'azuredevops']);
    for (const name of TARGET_NAMES) expect(TARGETS[name].name).toBe(name);
  });

  it.each(TARGET_NAMES)('%s: the URL policy, the API enum, the settings, the publisher and the timeline all derive from it', (name) => {
    const target = TARGETS[name];
    expect(DEFAULT_HOSTS[name]).toEqual(target.hosts);
    expect(checkBaseUrl(target.exampleUrl, name).ok).toBe(true);
    expect(SERVICES).toContain(name);
    expect(SETTINGS['publishing.default_target'].parse(name)).toBe(name);
    expect(typeof createPublisher(name, http, { username: 'u', secret: 's' }).find).toBe('function');
    expect(eventName(`publish_to_${name}`)).toBe(`Published to ${target.label}`);
    expect(requiredConfigFields(name).length).toBeGreaterThan(0);
  });

  it('keeps each target on its own hosts', () => {
    expect(checkBaseUrl(TARGETS.confluence.exampleUrl, 'servicenow').ok).toBe(false);
  });
});
