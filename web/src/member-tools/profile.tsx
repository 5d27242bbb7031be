import { useEffect, useState } from 'preact/hooks';
import { json, loadSession, saveSession, type Session } from '../api.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { fieldAttributes, timebankPath, useRun } from './common.js';
import { ContactDetails, LinkedVisibility, StatementDownload } from './contact.js';
import { Saved, usePatch, type Profile } from './own-record.js';

/*
 * The member's own record: its name, its email and password (both need the current password,
 * as the API asks), which contact details other members see, whether members of linked time
 * banks see it, and its statement as a file.
 */

type FormProps = { session: Session; profile: Profile; onSaved: (profile: Profile) => void; onExpired: () => void };

export function ProfilePage({ session, onExpired }: PageProps) {
  const [profile, setProfile] = useState<Profile | null>(null);
  const { failure, run } = useRun(onExpired);
  useEffect(() => {
    void run(async () => setProfile(await json<Profile>(session.token, `${timebankPath(session)}/members/${session.memberId}`)));
  }, []);
  const props = profile && { session, profile, onSaved: setProfile, onExpired };
  return (
    <main>
      <h1>{t('app.page.profile')}</h1>
      <FailureMessage failure={failure} />
      {!props ? (
        <p aria-busy="true">{t('profile.loading')}</p>
      ) : (
        <>
          <NameForm {...props} />
          <EmailForm {...props} />
          <PasswordForm {...props} />
          <ContactDetails {...props} />
          <LinkedVisibility {...props} />
        </>
      )}
      <StatementDownload session={session} onExpired={onExpired} />
    </main>
  );
}

function NameForm({ session, profile, onSaved, onExpired }: FormProps) {
  const [name, setName] = useState(profile.displayName);
  const { failure, busy, done, patch } = usePatch(session, onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void patch(() => ({ displayName: name }), t('profile.nameSaved'), (changed) => {
      // The name at the top of the page comes from the session: shown from the next page load.
      const saved = loadSession();
      if (saved) saveSession({ ...saved, displayName: changed.displayName });
      onSaved(changed);
    });
  };
  return (
    <section aria-labelledby="name-heading">
      <h2 id="name-heading">{t('profile.name')}</h2>
      <form onSubmit={submit}>
        <label for="profile-name">{t('profile.displayName')}</label>
        <input id="profile-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} autocomplete="name" {...fieldAttributes(failure, 'displayName')} />
        <p class="hint">{t('profile.displayNameHint')}</p>
        <FieldMessage failure={failure} field="displayName" />
        <FailureMessage failure={failure} />
        <Saved done={done} />
        <button type="submit" disabled={busy}>
          {t('profile.saveName')}
        </button>
      </form>
    </section>
  );
}

function EmailForm({ session, profile, onSaved, onExpired }: FormProps) {
  const [email, setEmail] = useState(profile.email);
  const [current, setCurrent] = useState('');
  const { failure, busy, done, patch } = usePatch(session, onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void patch(() => ({ email, currentPassword: current }), t('profile.emailChanged'), (changed) => {
      setCurrent('');
      onSaved(changed);
    });
  };
  return (
    <section aria-labelledby="email-change-heading">
      <h2 id="email-change-heading">{t('profile.email')}</h2>
      <form onSubmit={submit}>
        <label for="profile-email">{t('profile.email')}</label>
        <input id="profile-email" type="email" required value={email} onInput={(event) => setEmail(event.currentTarget.value)} autocomplete="email" {...fieldAttributes(failure, 'email')} />
        <FieldMessage failure={failure} field="email" />
        <label for="profile-email-current">{t('profile.currentPassword')}</label>
        <input id="profile-email-current" type="password" required value={current} onInput={(event) => setCurrent(event.currentTarget.value)} autocomplete="current-password" {...fieldAttributes(failure, 'currentPassword')} />
        <FieldMessage failure={failure} field="currentPassword" />
        <FailureMessage failure={failure} />
        <Saved done={done} />
        <button type="submit" disabled={busy}>
          {t('profile.changeEmail')}
        </button>
      </form>
    </section>
  );
}

function PasswordForm({ session, onExpired }: FormProps) {
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [current, setCurrent] = useState('');
  const { failure, busy, done, patch } = usePatch(session, onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void patch(
      () => {
        if (password !== repeated) throw new Error(t('profile.passwordsDiffer'));
        return { password, currentPassword: current };
      },
      t('profile.passwordChanged'),
      () => {
        setPassword('');
        setRepeated('');
        setCurrent('');
      },
    );
  };
  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">{t('profile.password')}</h2>
      <form onSubmit={submit}>
        <label for="profile-password">{t('profile.newPassword')}</label>
        <input id="profile-password" type="password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} autocomplete="new-password" {...fieldAttributes(failure, 'password')} />
        <p class="hint">{t('profile.passwordHint')}</p>
        <FieldMessage failure={failure} field="password" />
        <label for="profile-password-repeat">{t('profile.newPasswordAgain')}</label>
        <input id="profile-password-repeat" type="password" required value={repeated} onInput={(event) => setRepeated(event.currentTarget.value)} autocomplete="new-password" />
        <label for="profile-password-current">{t('profile.currentPassword')}</label>
        <input id="profile-password-current" type="password" required value={current} onInput={(event) => setCurrent(event.currentTarget.value)} autocomplete="current-password" {...fieldAttributes(failure, 'currentPassword')} />
        <FieldMessage failure={failure} field="currentPassword" />
        <FailureMessage failure={failure} />
        <Saved done={done} />
        <button type="submit" disabled={busy}>
          {t('profile.changePassword')}
        </button>
      </form>
    </section>
  );
}
