import { useEffect, useState } from 'preact/hooks';
import { json, onFailure } from '../api.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { MessageId } from '../messages/index.js';
import type { PageProps } from '../pages.js';
import { baseOf, Choice, Done, Field, useAction } from './common.js';
import { Categories } from './categories.js';

/*
 * The time bank's name and settings, as PATCH /v1/timebanks/{id} takes them, and its
 * categories. Settings the service has that this page does not know by name are still shown
 * and sent, as what they are (a switch, a number or a text).
 */

type Settings = Record<string, unknown> & {
  defaultMinBalanceMinutes: number;
  defaultMaxBalanceMinutes: number;
  confirmation: 'none' | 'counterparty';
  autoConfirmAfterHours: number;
  autoConfirmMemberClaims: boolean;
  maxOpenClaims: number;
};
type Timebank = { id: string; name: string; slug: string; settings: Settings };

const NUMBERS: Array<[key: string, label: MessageId, hint: MessageId]> = [
  ['defaultMinBalanceMinutes', 'settings.defaultFloor', 'settings.defaultFloorHint'],
  ['defaultMaxBalanceMinutes', 'settings.defaultCap', 'settings.defaultCapHint'],
  ['autoConfirmAfterHours', 'settings.deadline', 'settings.deadlineHint'],
  ['maxOpenClaims', 'settings.maxClaims', 'settings.maxClaimsHint'],
  ['stalledAfterDays', 'settings.stalledAfter', 'settings.stalledAfterHint'],
];
const KNOWN = new Set([...NUMBERS.map(([key]) => key), 'confirmation', 'autoConfirmMemberClaims', 'joinPolicy']);

/** What a field holds as the API wants it: numbers as numbers (anything else as typed, for the API to refuse). */
const asNumber = (text: string): number | string => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

export function SettingsPage({ session, onExpired }: PageProps) {
  return (
    <main>
      <h1>{t('settings.title')}</h1>
      <TimebankSettings session={session} onExpired={onExpired} />
      <Categories session={session} onExpired={onExpired} />
    </main>
  );
}

function TimebankSettings({ session, onExpired }: PageProps) {
  const [timebank, setTimebank] = useState<Timebank | null>(null);
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [error, setError] = useState<string | null>(null);
  const { failure, done, busy, run } = useAction(onExpired);
  const show = (found: Timebank) => {
    setTimebank(found);
    setName(found.name);
    setValues(Object.fromEntries(Object.entries(found.settings).map(([key, value]) => [key, typeof value === 'boolean' ? value : String(value)])));
  };
  useEffect(() => {
    json<Timebank>(session.token, baseOf(session)).then(show).catch(onFailure(onExpired, setError));
  }, []);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!timebank) return <p aria-busy="true">{t('settings.loading')}</p>;

  const set = (key: string, value: string | boolean) => setValues((current) => ({ ...current, [key]: value }));
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      // Only what changed is sent, so that the audit log records what the coordinator changed.
      const settings: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(values)) {
        const before = timebank.settings[key];
        const next = typeof value === 'boolean' || typeof before === 'string' ? value : asNumber(value);
        if (next !== before) settings[key] = next;
      }
      const body = { ...(name !== timebank.name ? { name } : {}), ...(Object.keys(settings).length > 0 ? { settings } : {}) };
      if (Object.keys(body).length === 0) return t('settings.nothingToSave');
      show(await json<Timebank>(session.token, baseOf(session), { method: 'PATCH', body }));
      return t('settings.saved');
    });
  };
  const extras = Object.keys(timebank.settings).filter((key) => !KNOWN.has(key));
  return (
    <section class="card" aria-labelledby="settings-heading">
      <h2 id="settings-heading">{timebank.name}</h2>
      <p class="hint">{t('settings.slug', { slug: timebank.slug })}</p>
      <form onSubmit={submit} noValidate>
        <Field id="timebank-name" label={t('settings.name')} field="name" failure={failure} value={name} onInput={setName} />
        <Choice id="setting-confirmation" label={t('settings.confirmation')} field="settings.confirmation" failure={failure} value={String(values.confirmation)} onChange={(value) => set('confirmation', value)}>
          <option value="counterparty">{t('settings.confirmation.counterparty')}</option>
          <option value="none">{t('settings.confirmation.none')}</option>
        </Choice>
        <Choice id="setting-joinPolicy" label={t('applications.policy.label')} field="settings.joinPolicy" failure={failure} value={String(values.joinPolicy)} onChange={(value) => set('joinPolicy', value)}>
          <option value="closed">{t('applications.policy.closed')}</option>
          <option value="application">{t('applications.policy.application')}</option>
          <option value="open">{t('applications.policy.open')}</option>
        </Choice>
        {NUMBERS.map(([key, label, hint]) => (
          <Field key={key} id={`setting-${key}`} label={t(label)} field={`settings.${key}`} type="number" failure={failure} value={String(values[key] ?? '')} onInput={(value) => set(key, value)} hint={t(hint)} />
        ))}
        <label class="inline">
          <input type="checkbox" checked={values.autoConfirmMemberClaims === true} onChange={(event) => set('autoConfirmMemberClaims', event.currentTarget.checked)} /> {t('settings.autoConfirm')}
        </label>
        <FieldMessage failure={failure} field="settings.autoConfirmMemberClaims" />
        {extras.map((key) =>
          typeof values[key] === 'boolean' ? (
            <p key={key}>
              <label class="inline">
                <input type="checkbox" checked={values[key] === true} onChange={(event) => set(key, event.currentTarget.checked)} /> {key}
              </label>
              <FieldMessage failure={failure} field={`settings.${key}`} />
            </p>
          ) : (
            <Field key={key} id={`setting-${key}`} label={key} field={`settings.${key}`} failure={failure} value={String(values[key] ?? '')} onInput={(value) => set(key, value)} />
          ),
        )}
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          {t('settings.submit')}
        </button>
      </form>
    </section>
  );
}
