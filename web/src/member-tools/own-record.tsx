import { useState } from 'preact/hooks';
import { json, type Session } from '../api.js';
import { timebankPath, useRun } from './common.js';

/* The member's own record as the profile forms read and change it. */

export type Profile = { displayName: string; email: string; phone: string | null; contactSharing: { email: boolean; phone: boolean }; federationVisible: boolean };

/** A PATCH of the member's own record, with the API's answer or refusal kept for the form. */
export function usePatch(session: Session, onExpired: () => void) {
  const { failure, busy, run } = useRun(onExpired);
  const [done, setDone] = useState<string | null>(null);
  const patch = (body: () => Record<string, unknown>, message: string, then: (profile: Profile) => void) =>
    run(async () => {
      setDone(null);
      const profile = await json<Profile>(session.token, `${timebankPath(session)}/members/${session.memberId}`, { method: 'PATCH', body: body() });
      setDone(message);
      then(profile);
    });
  return { failure, busy, done, patch };
}

export function Saved({ done }: { done: string | null }) {
  return done ? (
    <p class="ok" role="status">
      {done}
    </p>
  ) : null;
}
