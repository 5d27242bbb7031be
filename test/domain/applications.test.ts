import { describe, expect, it } from 'vitest';
import { admissionOf, announcedStatus, checkJoiningOpen, checkUndecided } from '../../src/domain/applications.js';
import { Rejection } from '../../src/domain/errors.js';
import { defaultTimebankSettings, mergeSettings } from '../../src/domain/timebank.js';

function refusal(action: () => void): Rejection {
  try {
    action();
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('joining settings', () => {
  it('keep timebanks closed by default, with requests stalled after 14 days', () => {
    expect(defaultTimebankSettings).toMatchObject({ joinPolicy: 'closed', stalledAfterDays: 14 });
    expect(mergeSettings(defaultTimebankSettings, { joinPolicy: 'open', stalledAfterDays: 365 })).toMatchObject({ joinPolicy: 'open', stalledAfterDays: 365 });
    expect(mergeSettings(defaultTimebankSettings, { stalledAfterDays: 1 }).stalledAfterDays).toBe(1);
  });

  it('take stalledAfterDays from 1 to 365 whole days only', () => {
    for (const stalledAfterDays of [0, 366, 2.5, -1]) {
      const refused = refusal(() => mergeSettings(defaultTimebankSettings, { stalledAfterDays }));
      expect([refused.code, refused.extensions.field]).toEqual(['invalid_settings', 'settings.stalledAfterDays']);
    }
  });
});

describe('an application', () => {
  it('is refused by a closed timebank only', () => {
    expect(refusal(() => checkJoiningOpen('closed')).code).toBe('joining_closed');
    expect(() => checkJoiningOpen('application')).not.toThrow();
    expect(() => checkJoiningOpen('open')).not.toThrow();
  });

  it('is approved on arrival in an open timebank, unless its email is a member\'s', () => {
    expect(admissionOf('open', null)).toBe('approve');
    expect(admissionOf('open', 'member-1')).toBe('wait');
    expect(admissionOf('application', null)).toBe('wait');
    expect(admissionOf('application', 'member-1')).toBe('wait');
  });

  it('tells every applicant of a timebank the same status, duplicate or not', () => {
    expect(announcedStatus('open')).toBe('approved');
    expect(announcedStatus('application')).toBe('open');
  });

  it('is decided once', () => {
    expect(() => checkUndecided('open')).not.toThrow();
    for (const status of ['approved', 'declined'] as const) {
      const refused = refusal(() => checkUndecided(status));
      expect([refused.code, refused.extensions.applicationStatus]).toEqual(['application_not_open', status]);
    }
  });
});
