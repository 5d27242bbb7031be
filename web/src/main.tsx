import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, login, logout, saveSession, type Session } from './api.js';
import { AdminHome } from './admin.js';
import { Dashboard } from './dashboard.js';
import { coordinatorPages } from './coordinator/pages.js';
import { problemMessage } from './forms.js';
import { t } from './i18n.js';
import { LanguagePicker } from './language.js';
import { MemberHome } from './member.js';
import { memberPages } from './member-tools/pages.js';
import type { PageDef } from './pages.js';
import { Setup } from './setup.js';
import { JoinLink, JoinPage } from './join.js';

/*
 * The member client and the coordinator dashboard: a login, then pages chosen by the URL's
 * hash (#/, #/dashboard, and the tools' pages), so that the server only ever serves index.html and its files.
 */

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function Login({ onLogin }: { onLogin: (session: Session) => void }) {
  const remembered = new URLSearchParams(location.search).get('timebank') ?? localStorage.getItem('timebank.slug') ?? '';
  const [timebank, setTimebank] = useState(remembered);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await login(email, password, timebank);
      localStorage.setItem('timebank.slug', timebank.trim());
      onLogin(session);
    } catch (caught) {
      setError(problemMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="narrow">
      <p class="language-row">
        <LanguagePicker id="login-language" />
      </p>
      <h1>{t('app.login.title')}</h1>
      <form onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <label for="timebank">{t('app.login.timebank')}</label>
        <input id="timebank" name="timebank" value={timebank} onInput={(event) => setTimebank(event.currentTarget.value)} placeholder={t('app.login.timebankPlaceholder')} autocomplete="organization" aria-describedby="timebank-hint" />
        <p id="timebank-hint" class="hint">
          {t('app.login.timebankHint')}
        </p>
        <label for="email">{t('app.login.email')}</label>
        <input id="email" name="email" type="email" required value={email} onInput={(event) => setEmail(event.currentTarget.value)} autocomplete="username" />
        <label for="password">{t('app.login.password')}</label>
        <input id="password" name="password" type="password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} autocomplete="current-password" />
        {error && (
          <p id="login-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? t('app.login.busy') : t('app.login.submit')}
        </button>
      </form>
      <JoinLink timebank={timebank} />
    </main>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const hash = useHash();
  const signIn = (next: Session) => {
    saveSession(next);
    setSession(next);
  };
  // Asked for by the person (the session ends on the service too), or after the service ended it.
  const signOut = () => {
    void logout();
    setSession(null);
    location.hash = '';
  };
  if (location.pathname.endsWith('/setup')) {
    // The first-run page: once done, the new coordinator is logged in and goes to the dashboard.
    return (
      <Setup
        onDone={(created) => {
          signIn(created);
          history.replaceState(null, '', '/app/#/dashboard');
          location.reload();
        }}
      />
    );
  }
  if (!session) return hash === '#/join' ? <JoinPage /> : <Login onLogin={signIn} />;
  if (session.role === 'admin') {
    return (
      <>
        <header class="top">
          <span class="who">{t('app.who.admin', { name: session.displayName })}</span>
          <nav aria-label={t('app.nav.main')}>
            <LanguagePicker />
            <button type="button" class="link" onClick={signOut}>
              {t('app.logout')}
            </button>
          </nav>
        </header>
        <AdminHome session={session} onExpired={signOut} />
      </>
    );
  }
  const coordinator = session.role === 'coordinator';
  const pages: PageDef[] = [
    { path: '/', label: t('app.page.home'), component: MemberHome },
    ...memberPages,
    { path: '/dashboard', label: t('app.page.dashboard'), coordinatorOnly: true, component: Dashboard },
    ...coordinatorPages,
  ].filter((page) => coordinator || !page.coordinatorOnly);
  const path = hash.replace(/^#/, '').split('?')[0] || '/';
  const current = pages.find((page) => page.path === path) ?? pages[0]!;
  const Current = current.component;
  const link = (page: PageDef) => (
    <a key={page.path} href={`#${page.path}`} aria-current={page === current ? 'page' : undefined}>
      {page.label}
    </a>
  );
  return (
    <>
      <header class="top">
        <span class="who">{coordinator ? t('app.who.coordinator', { name: session.displayName }) : session.displayName}</span>
        <nav aria-label={t('app.nav.main')}>
          {pages.filter((page) => !page.coordinatorOnly).map((page) => link(page))}
          <LanguagePicker />
          <button type="button" class="link" onClick={signOut}>
            {t('app.logout')}
          </button>
        </nav>
      </header>
      {coordinator && (
        // The coordinator's tools get a bar of their own, under the member's pages.
        <nav aria-label={t('app.nav.tools')} class="tools">
          {pages.filter((page) => page.coordinatorOnly).map((page) => link(page))}
        </nav>
      )}
      <Current key={current.path} session={session} onExpired={signOut} />
    </>
  );
}

const root = document.getElementById('root')!;
// The static placeholder (index.html) is not Preact's to diff: clear it.
root.textContent = '';
render(<App />, root);
