import { describe, expect, it } from 'vitest';
import { defaultCategoryTree } from '../../src/domain/categories.js';
import { Rejection } from '../../src/domain/errors.js';
import { defaultTimebankSettings, mergeSettings, slugify } from '../../src/domain/timebank.js';

describe('timebank settings', () => {
  it('applies a partial change and keeps the rest', () => {
    expect(mergeSettings(defaultTimebankSettings, { confirmation: 'none', autoConfirmAfterHours: undefined })).toEqual({
      ...defaultTimebankSettings,
      confirmation: 'none',
    });
  });

  it('refuses a floor above zero or a cap below zero', () => {
    expect(() => mergeSettings(defaultTimebankSettings, { defaultMinBalanceMinutes: 1 })).toThrow(Rejection);
    expect(() => mergeSettings(defaultTimebankSettings, { defaultMaxBalanceMinutes: -1 })).toThrow(Rejection);
    expect(mergeSettings(defaultTimebankSettings, { defaultMinBalanceMinutes: 0, defaultMaxBalanceMinutes: 0 })).toMatchObject({
      defaultMinBalanceMinutes: 0,
      defaultMaxBalanceMinutes: 0,
    });
  });
});

describe('claim settings', () => {
  it('lets claims expire by default, five at most per payer, and takes 0 to 1000', () => {
    expect(defaultTimebankSettings).toMatchObject({ autoConfirmMemberClaims: false, maxOpenClaims: 5 });
    expect(mergeSettings(defaultTimebankSettings, { maxOpenClaims: 0 }).maxOpenClaims).toBe(0);
    expect(mergeSettings(defaultTimebankSettings, { maxOpenClaims: 1000, autoConfirmMemberClaims: true })).toMatchObject({ maxOpenClaims: 1000, autoConfirmMemberClaims: true });
    for (const maxOpenClaims of [-1, 1001, 2.5]) {
      expect(() => mergeSettings(defaultTimebankSettings, { maxOpenClaims }), String(maxOpenClaims)).toThrow(Rejection);
    }
  });
});

describe('slugify', () => {
  it.each([
    ['Riverside Time Bank', 'riverside-time-bank'],
    ['  Zürich  Zeitbörse! ', 'zurich-zeitborse'],
    ['Bank #2 -- North', 'bank-2-north'],
    ['日本', 'timebank'],
  ])('%s -> %s', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('stays within 60 characters and never ends with a hyphen', () => {
    const slug = slugify(`${'a'.repeat(59)} b`);
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug.endsWith('-')).toBe(false);
  });
});

describe('the default taxonomy', () => {
  it('covers the usual exchanges in two levels with unique names per level', () => {
    const names = defaultCategoryTree.map((parent) => parent.name);
    expect(new Set(names).size).toBe(names.length);
    for (const wanted of ['Care and companionship', 'Transport', 'Home and garden', 'Repairs and DIY', 'Learning and tutoring', 'Cooking and food', 'Admin and IT', 'Creative', 'Health and wellbeing', 'Community events']) {
      expect(names).toContain(wanted);
    }
    for (const parent of defaultCategoryTree) {
      expect(parent.children.length).toBeGreaterThan(0);
      expect(new Set(parent.children).size).toBe(parent.children.length);
    }
  });
});
