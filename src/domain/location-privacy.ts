import { isCoordinatorOf, type Principal } from './principal.js';

/*
 * A listing's exact location says where a member lives. Its owner and the timebank's
 * coordinators (and platform admins) see it as stored; other members and partner apps see it
 * rounded to two decimal places of a degree, about 1 km, which is enough to judge whether help
 * is nearby. Only what is shown is rounded: distance filters and scores read the stored values.
 */

type Located = { memberId: string; location: { lat: number; lon: number } | null };

/** Two decimal places of a degree (about 1.1 km of latitude). */
export function roundCoordinate(degrees: number): number {
  return Math.round(degrees * 100) / 100;
}

export function seesExactLocation(principal: Principal, timebankId: string, ownerId: string): boolean {
  return isCoordinatorOf(principal, timebankId) || (principal.type === 'member' && principal.id === ownerId);
}

/** The listing as this principal may see it. */
export function withVisibleLocation<T extends Located>(listing: T, principal: Principal, timebankId: string): T {
  if (listing.location === null || seesExactLocation(principal, timebankId, listing.memberId)) {
    return listing;
  }
  const { lat, lon } = listing.location;
  return { ...listing, location: { lat: roundCoordinate(lat), lon: roundCoordinate(lon) } };
}
