import { useState } from 'preact/hooks';
import { downloadCsv, type Session } from '../api.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { fieldAttributes, timebankPath, useRun } from './common.js';
import { Saved, usePatch, type Profile } from './own-record.js';

/*
 * Which contact details other members see (nothing, unless the member says so), and the
 * member's statement as a CSV file.
 */

type Props = { session: Session; profile: Profile; onSaved: (profile: Profile) => void; onExpired: () => void };

/** What other members of the time bank see, in words. */
function shownToOthers(profile: Profile): string {
  const shown = [profile.contactSharing.email ? `your email (${profile.email})` : null, profile.contactSharing.phone && profile.phone ? `your phone (${profile.phone})` : null].filter(Boolean);
  return shown.length === 0 ? 'Other members see no contact details of yours.' : `Other members of your time bank see ${shown.join(' and ')}.`;
}

export function ContactDetails({ session, profile, onSaved, onExpired }: Props) {
  const [phone, setPhone] = useState(profile.phone ?? '');
  const [shareEmail, setShareEmail] = useState(profile.contactSharing.email);
  const [sharePhone, setSharePhone] = useState(profile.contactSharing.phone);
  const { failure, busy, done, patch } = usePatch(session, onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void patch(() => ({ phone: phone.trim() === '' ? null : phone, contactSharing: { email: shareEmail, phone: sharePhone } }), 'Your contact details are saved.', (changed) => {
      setPhone(changed.phone ?? '');
      onSaved(changed);
    });
  };
  return (
    <section aria-labelledby="contact-heading">
      <h2 id="contact-heading">Contact details</h2>
      <p data-testid="shown-to-others">{shownToOthers(profile)}</p>
      <form onSubmit={submit}>
        <label for="profile-phone">Phone (optional)</label>
        <input id="profile-phone" type="tel" value={phone} onInput={(event) => setPhone(event.currentTarget.value)} autocomplete="tel" {...fieldAttributes(failure, 'phone')} />
        <FieldMessage failure={failure} field="phone" />
        <fieldset>
          <legend>Show to other members of the time bank</legend>
          <label class="inline">
            <input type="checkbox" checked={shareEmail} onChange={(event) => setShareEmail(event.currentTarget.checked)} {...fieldAttributes(failure, 'contactSharing.email')} /> My email
          </label>
          <label class="inline">
            <input type="checkbox" checked={sharePhone} onChange={(event) => setSharePhone(event.currentTarget.checked)} {...fieldAttributes(failure, 'contactSharing.phone')} /> My phone
          </label>
          <FieldMessage failure={failure} field="contactSharing.email" />
          <FieldMessage failure={failure} field="contactSharing.phone" />
        </fieldset>
        <p class="hint">Coordinators always see them. Other members see only what you tick, in the directory, searches and matches.</p>
        <FailureMessage failure={failure} />
        <Saved done={done} />
        <button type="submit" disabled={busy}>
          Save contact details
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
      setDone('Downloaded statement.csv.');
    });
  return (
    <section aria-labelledby="statement-download-heading">
      <h2 id="statement-download-heading">Statement</h2>
      <p>Every exchange of your account, with the balance after each, as a spreadsheet file (CSV).</p>
      <FailureMessage failure={failure} />
      <Saved done={done} />
      <button type="button" onClick={download} disabled={busy}>
        Download my statement (CSV)
      </button>
    </section>
  );
}
