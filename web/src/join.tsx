import { useEffect, useState } from 'preact/hooks';
import { json } from './api.js';
import { Field } from './coordinator/common.js';
import { FailureMessage, FieldMessage, messageId } from './forms.js';
import { t } from './i18n.js';
import { LanguagePicker } from './language.js';

/*
 * Joining a time bank, without an account: the join page (#/join, the time bank named by
 * ?timebank=<slug> as on the login page) and the link to it that the login page shows under a
 * time bank that takes applications. The slug is looked up with the public
 * GET /v1/joinable-timebanks/{slug}, which knows only time banks that take applications.
 */

type Joinable = { id: string; name: string; slug: string; joinPolicy: 'application' | 'open' };
type Receipt = { id: string; status: 'open' | 'approved' };

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const lookUp = (slug: string) => json<Joinable>(null, `/v1/joinable-timebanks/${encodeURIComponent(slug)}`);

/** "New here? Join …", under the login form, when the time bank typed there takes applications. */
export function JoinLink({ timebank }: { timebank: string }) {
  const slug = timebank.trim().toLowerCase();
  const [found, setFound] = useState<Joinable | null>(null);
  useEffect(() => {
    setFound(null);
    // A time bank's id works at the login too, but no join page is found by it.
    if (slug.length > 60 || !SLUG.test(slug) || UUID.test(slug)) return;
    let current = true;
    // Looked up once the typing pauses, not at every key.
    const timer = setTimeout(() => {
      lookUp(slug)
        .then((joinable) => current && setFound(joinable))
        .catch(() => undefined);
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [slug]);
  if (!found) return null;
  return (
    <p class="join-link">
      <a href={`?timebank=${encodeURIComponent(found.slug)}#/join`}>{t('applications.join.link', { name: found.name })}</a>
    </p>
  );
}

export function JoinPage() {
  const initial = (new URLSearchParams(location.search).get('timebank') ?? localStorage.getItem('timebank.slug') ?? '').trim().toLowerCase();
  const [slug, setSlug] = useState(initial);
  const [typed, setTyped] = useState(initial);
  // undefined: looking it up; null: no such time bank takes applications.
  const [timebank, setTimebank] = useState<Joinable | null | undefined>(initial ? undefined : null);
  useEffect(() => {
    if (!slug) return;
    setTimebank(undefined);
    lookUp(slug).then(setTimebank, () => setTimebank(null));
  }, [slug]);
  const find = (event: Event) => {
    event.preventDefault();
    setSlug(typed.trim().toLowerCase());
  };
  return (
    <main class="narrow">
      <p class="language-row">
        <LanguagePicker id="join-language" />
      </p>
      <h1>{timebank ? t('applications.join.title', { name: timebank.name }) : t('applications.join.titleGeneric')}</h1>
      {timebank === undefined && <p aria-busy="true">{t('applications.join.loading')}</p>}
      {timebank === null && (
        <>
          {slug && (
            <p class="error" role="alert">
              {t('applications.join.notFound')}
            </p>
          )}
          <form onSubmit={find}>
            <label for="join-timebank">{t('applications.join.timebank')}</label>
            <input id="join-timebank" value={typed} onInput={(event) => setTyped(event.currentTarget.value)} aria-describedby="join-timebank-hint" autocomplete="organization" />
            <p id="join-timebank-hint" class="hint">
              {t('applications.join.timebankHint')}
            </p>
            <button type="submit">{t('applications.join.find')}</button>
          </form>
        </>
      )}
      {timebank && <ApplicationForm timebank={timebank} />}
      <p>
        <a href="#/">{t('applications.join.back')}</a>
      </p>
    </main>
  );
}

function ApplicationForm({ timebank }: { timebank: Joinable }) {
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [about, setAbout] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = { displayName, email, password, ...(about.trim() ? { about } : {}) };
      setReceipt(await json<Receipt>(null, `/v1/timebanks/${timebank.id}/applications`, { method: 'POST', body }));
      localStorage.setItem('timebank.slug', timebank.slug);
    } catch (caught) {
      setFailure(caught);
    } finally {
      setBusy(false);
    }
  };
  if (receipt) {
    const approved = receipt.status === 'approved';
    return (
      <section>
        <p class="ok" role="status">
          {approved ? t('applications.join.approved', { name: timebank.name }) : t('applications.join.sent', { name: timebank.name })}
        </p>
        {approved && (
          <p>
            <a href={`?timebank=${encodeURIComponent(timebank.slug)}`}>{t('applications.join.login')}</a>
          </p>
        )}
      </section>
    );
  }
  const open = timebank.joinPolicy === 'open';
  return (
    <>
      <p>{open ? t('applications.join.intro.open') : t('applications.join.intro.application')}</p>
      <form onSubmit={submit} noValidate>
        <FailureMessage failure={failure} />
        <Field id="join-name" label={t('applications.join.name')} field="displayName" failure={failure} value={displayName} onInput={setDisplayName} autocomplete="name" />
        <Field id="join-email" label={t('applications.join.email')} field="email" type="email" failure={failure} value={email} onInput={setEmail} autocomplete="email" />
        <Field id="join-password" label={t('applications.join.password')} field="password" type="password" failure={failure} value={password} onInput={setPassword} autocomplete="new-password" hint={t('applications.join.passwordHint')} />
        <label for="join-about">{t('applications.join.about')}</label>
        <textarea id="join-about" name="about" rows={4} maxLength={2000} value={about} onInput={(event) => setAbout(event.currentTarget.value)} aria-describedby={`join-about-hint ${messageId('about')}`} />
        <p id="join-about-hint" class="hint">
          {t('applications.join.aboutHint')}
        </p>
        <FieldMessage failure={failure} field="about" />
        <button type="submit" disabled={busy}>
          {busy ? t('applications.join.busy') : open ? t('applications.join.submitOpen') : t('applications.join.submit')}
        </button>
      </form>
    </>
  );
}
