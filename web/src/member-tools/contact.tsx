import { useState } from 'preact/hooks';
import { downloadCsv, type Session } from '../api.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import { fieldAttributes, timebankPath, useRun } from './common.js';
import { Saved, usePatch, type Profile } from './own-record.js';

/*
 * Which contact details other members see (nothing, unless the member says so), whether
 * members of linked time banks see the member at all, and the member's statement as a CSV file.
 */

type Props = { session: Session; profile: Profile; onSaved: (profile: Profile) => void; onExpired: () => void };

/** What other members of the time bank see, in words. */
function shownToOthers(profile: Profile): string {
  const email = profile.contactSharing.email;
  const phone = profile.contactSharing.phone && profile.phone;
  const values = { email: profile.email, phone: profile.phone ?? '' };
  if (email && phone) return t('profile.shownBoth', values);
  if (email) return t('profile.shownEmail', values);
  return phone ? t('profile.shownPhone', values) : t('profile.shownNothing');
}

export function ContactDetails({ session, profile, onSaved, onExpired }: Props) {
  const [phone, setPhone] = useState(profile.phone ?? '');
  const [shareEmail, setShareEmail] = useState(profile.contactSharing.email);
  const [sharePhone, setSharePhone] = useState(profile.contactSharing.phone);
  const { failure, busy, done, patch } = usePatch(session, onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void patch(() => ({ phone: phone.trim() === '' ? null : phone, contactSharing: { email: shareEmail, phone: sharePhone } }), t('profile.contactSaved'), (changed) => {
      setPhone(changed.phone ?? '');
      onSaved(changed);
    });
  };
  return (
    <section aria-labelledby="contact-heading">
      <h2 id="contact-heading">{t('profile.contact')}</h2>
      <p data-testid="shown-to-others">{shownToOthers(profile)}</p>
      <form onSubmit={submit}>
        <label for="profile-phone">{t('profile.phone')}</label>
        <input id="profile-phone" type="tel" value={phone} onInput={(event) => setPhone(event.currentTarget.value)} autocomplete="tel" {...fieldAttributes(failure, 'phone')} />
        <FieldMessage failure={failure} field="phone" />
        <fieldset>
          <legend>{t('profile.showTo')}</legend>
          <label class="inline">
            <input type="checkbox" checked={shareEmail} onChange={(event) => setShareEmail(event.currentTarget.checked)} {...fieldAttributes(failure, 'contactSharing.email')} /> {t('profile.myEmail')}
          </label>
          <label class="inline">
            <input type="checkbox" checked={sharePhone} onChange={(event) => setSharePhone(event.currentTarget.checked)} {...fieldAttributes(failure, 'contactSharing.phone')} /> {t('profile.myPhone')}
          </label>
          <FieldMessage failure={failure} field="contactSharing.email" />
          <FieldMessage failure={failure} field="contactSharing.phone" />
        </fieldset>
        <p class="hint">{t('profile.contactHint')}</p>
        <FailureMessage failure={failure} />
        <Saved done={done} />
        <button type="submit" disabled={busy}>
          {t('profile.saveContact')}
        </button>
      </form>
    </section>
  );
}

/** Visible to linked time banks or not: the member's own choice, off until they tick it. */
export function LinkedVisibility({ session, profile, onSaved, onExpired }: Props) {
  const [visible, setVisible] = useState(profile.federationVisible);
  const { failure, busy, done, patch } = usePatch(session, onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void patch(() => ({ federationVisible: visible }), t(visible ? 'links.visible.on' : 'links.visible.off'), onSaved);
  };
  return (
    <section aria-labelledby="linked-visibility-heading">
      <h2 id="linked-visibility-heading">{t('links.visible.title')}</h2>
      <form onSubmit={submit}>
        <label class="inline">
          <input type="checkbox" checked={visible} onChange={(event) => setVisible(event.currentTarget.checked)} aria-describedby="linked-visibility-hint" {...fieldAttributes(failure, 'federationVisible')} /> {t('links.visible.label')}
        </label>
        <p id="linked-visibility-hint" class="hint">
          {t('links.visible.hint')}
        </p>
        <FieldMessage failure={failure} field="federationVisible" />
        <FailureMessage failure={failure} />
        <Saved done={done} />
        <button type="submit" disabled={busy}>
          {t('links.visible.save')}
        </button>
      </form>
    </section>
  );
}

export function StatementDownload({ session, onExpired }: { session: Session; onExpired: () => void }) {
  const { failure, busy, run } = useRun(onExpired);
  const [done, setDone] = useState<string | null>(null);
  if (!session.accountId) return null;
  const download = () =>
    run(async () => {
      setDone(null);
      await downloadCsv(session.token, `${timebankPath(session)}/accounts/${session.accountId}/statement`, 'statement.csv');
      setDone(t('profile.downloaded'));
    });
  return (
    <section aria-labelledby="statement-download-heading">
      <h2 id="statement-download-heading">{t('profile.statement')}</h2>
      <p>{t('profile.statementAbout')}</p>
      <FailureMessage failure={failure} />
      <Saved done={done} />
      <button type="button" onClick={download} disabled={busy}>
        {t('profile.download')}
      </button>
    </section>
  );
}
