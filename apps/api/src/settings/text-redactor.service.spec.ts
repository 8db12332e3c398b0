import { PII_TYPE_ORDER } from '@tftsr/pii';
import type { SettingsService } from './settings.service';
import { TextRedactor } from './text-redactor.service';

describe('TextRedactor', () => {
  // The PII settings in force, as SettingsService.piiConfig() reads them (libs/pii readPiiConfig).
  const settings = (values: Record<string, unknown>) =>
    ({
      piiConfig: () => ({ enabledTypes: values['pii.enabled_types'], allowList: values['pii.allow_list'], customRules: [] }),
    }) as unknown as SettingsService;
  const sut = new TextRedactor(settings({ 'pii.enabled_types': [...PII_TYPE_ORDER], 'pii.allow_list': ['10.0.0.1'] }));

  it('replaces each detected value with its [Type] marker and names the types once, in the engine’s order', () => {
    expect(sut.redact('mail bob@example.com or 10.0.0.7, then bob@example.com')).toEqual({
      text: 'mail [Email] or [IPv4], then [Email]',
      types: ['Email', 'IPv4'],
    });
  });

  it('keeps values on the allow-list and text without PII as they are', () => {
    expect(sut.redact('the gateway 10.0.0.1')).toEqual({ text: 'the gateway 10.0.0.1', types: [] });
    expect(sut.redact('Grüße, 東京 — nothing here')).toEqual({ text: 'Grüße, 東京 — nothing here', types: [] });
  });

  it('redacts several fields with one reading of the settings, passing null and undefined through', () => {
    expect(sut.redactFields({ a: 'from 10.0.0.7', b: null, c: undefined })).toEqual({
      fields: { a: 'from [IPv4]', b: null, c: undefined },
      types: ['IPv4'],
    });
  });

  it('detects only the enabled types', () => {
    const emailOnly = new TextRedactor(settings({ 'pii.enabled_types': ['Email'], 'pii.allow_list': [] }));
    expect(emailOnly.redact('bob@example.com at 10.0.0.7').text).toBe('[Email] at 10.0.0.7');
  });

  it('finds the markers of earlier redactions in stored text', () => {
    expect(sut.markersIn('[IPv4] and [Email] and [Nope]')).toEqual(['Email', 'IPv4']);
  });
});
