import type { Lease } from "./store.ts";

/**
 * Who gets a run's lease, decided the same way by every backend (each
 * applies the answer in its own transaction). The epoch bumps only when the
 * lease passes to another owner, so an epoch stays current, and its holder's
 * appends accepted, until someone else has been granted the run.
 */

export type LeaseAnswer = { readonly granted: Lease } | { readonly heldBy: Lease };

/** The first lease a run ever has. */
export function firstLease(run: string, owner: string, now: number, ttl: number): Lease {
  return { run, owner, epoch: 1, expiresAt: now + ttl };
}

/** Granted when the lease is already the owner's, expired (or released), or `steal` says its holder is gone; otherwise held by its holder. */
export function decideLease(
  current: Lease,
  owner: string,
  now: number,
  ttl: number,
  steal?: (holder: Lease) => boolean,
): LeaseAnswer {
  const expiresAt = now + ttl;
  if (current.owner === owner) return { granted: { ...current, expiresAt } };
  if (current.expiresAt <= now || steal?.(current) === true)
    return { granted: { run: current.run, owner, epoch: current.epoch + 1, expiresAt } };
  return { heldBy: current };
}

/** A released lease is kept (its epoch must never be granted again) with an expiry before any `now`. */
export const releasedExpiry = 0;
