import { useState } from 'preact/hooks';
import { json, sessionFromTokens, type Session } from './api.js';
import { FailureMessage, FieldMessage, messageId } from './forms.js';
import { t } from './i18n.js';
import { LanguagePicker } from './language.js';

/*
 * First run: the page of the link the service prints when it has no timebank yet. It creates
 * the first time bank and its coordinator, who is then logged in.
 */

type SetupAnswer = { access_token: string; refresh_token: string; timebank: { slug: string } };

function Field(props: { id: string; field: string; label: string; type?: string; value: string; set: (value: string) => void; failure: unknown; hint?: string; autocomplete?: string; required?: boolean }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type={props.type ?? 'text'}
        required={props.required ?? true}
        value={props.value}
        autocomplete={props.autocomplete}
        aria-describedby={messageId(props.field)}
        onInput={(event) => props.set(event.currentTarget.value)}
      />
      {props.hint && <p class="hint">{props.hint}</p>}
      <FieldMessage failure={props.failure} field={props.field} />
    </>
  );
}

export function Setup({ onDone }: { onDone: (session: Session) => void }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = { token, timebank: { name, ...(slug.trim() ? { slug: slug.trim() } : {}) }, coordinator: { displayName, email, password } };
      const answer = await json<SetupAnswer>(null, '/v1/setup', { method: 'POST', body });
      localStorage.setItem('timebank.slug', answer.timebank.slug);
      onDone(await sessionFromTokens(answer.access_token, answer.refresh_token));
    } catch (caught) {
      setFailure(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="narrow">
      <p class="language-row">
        <LanguagePicker id="setup-language" />
      </p>
      <h1>{t('admin.setup.title')}</h1>
      <p>{t('admin.setup.about')}</p>
      <form onSubmit={submit}>
        <FailureMessage failure={failure} />
        <FieldMessage failure={failure} field="token" />
        <h2>{t('admin.setup.timebank')}</h2>
        <Field id="timebank-name" field="timebank.name" label={t('admin.setup.name')} value={name} set={setName} failure={failure} autocomplete="organization" />
        <Field id="timebank-slug" field="timebank.slug" label={t('admin.slug')} value={slug} set={setSlug} failure={failure} required={false} hint={t('admin.setup.slugHint')} />
        <h2>{t('admin.setup.you')}</h2>
        <Field id="coordinator-name" field="coordinator.displayName" label={t('admin.setup.yourName')} value={displayName} set={setDisplayName} failure={failure} autocomplete="name" />
        <Field id="coordinator-email" field="coordinator.email" label={t('admin.setup.yourEmail')} type="email" value={email} set={setEmail} failure={failure} autocomplete="email" />
        <Field id="coordinator-password" field="coordinator.password" label={t('admin.setup.password')} type="password" value={password} set={setPassword} failure={failure} autocomplete="new-password" hint={t('admin.passwordHint')} />
        <button type="submit" disabled={busy}>
          {busy ? t('admin.setup.busy') : t('admin.setup.submit')}
        </button>
      </form>
    </main>
  );
}
