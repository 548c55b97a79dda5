// The pool's start policy on its own: when to start another worker, when to wait, when to give up.
import { describe, expect, it } from 'vitest';
import { StartPolicy } from '../../src/pool/start-policy.js';

describe('StartPolicy', () => {
  it('a start killed from outside says nothing about the worker type: start another now, forever', () => {
    const policy = new StartPolicy();
    for (let i = 0; i < 100; i++) expect(policy.failed(true, i)).toEqual({ retry: 'now' });
    expect(policy.mayStart(100)).toBe(true);
  });

  it('other failures back off, doubling, and the third in a row gives up', () => {
    const policy = new StartPolicy();
    expect(policy.failed(false, 0)).toEqual({ retry: 'later', delayMs: 50 });
    expect(policy.mayStart(10)).toBe(false);
    expect(policy.mayStart(50)).toBe(true);
    expect(policy.failed(false, 60)).toEqual({ retry: 'later', delayMs: 100 });
    expect(policy.failed(false, 200)).toEqual({ retry: 'never', failures: 3 });
  });

  it("the back-off's timer ends it, even when it fires a moment before the clock reaches the deadline", () => {
    const policy = new StartPolicy();
    policy.failed(false, 0);
    expect(policy.mayStart(49.9)).toBe(false);
    policy.unblock();
    expect(policy.mayStart(49.9)).toBe(true);
  });

  it('a worker that comes up ends the back-off; one that lives past the start window resets the count', () => {
    const policy = new StartPolicy();
    policy.failed(false, 0);
    policy.failed(false, 100);
    policy.started();
    expect(policy.failed(false, 200)).toEqual({ retry: 'never', failures: 3 });

    const proven = new StartPolicy();
    proven.failed(false, 0);
    proven.failed(false, 100);
    proven.started();
    proven.proven();
    expect(proven.failed(false, 200)).toEqual({ retry: 'later', delayMs: 50 });
  });

  it('deaths under calls before any answer: another now, until ten in a row; an answered call resets them', () => {
    const policy = new StartPolicy();
    for (let i = 0; i < 9; i++) expect(policy.diedUnanswered()).toEqual({ retry: 'now' });
    policy.answered();
    for (let i = 0; i < 9; i++) expect(policy.diedUnanswered()).toEqual({ retry: 'now' });
    expect(policy.diedUnanswered()).toEqual({ retry: 'never', failures: 10, unanswered: true });
    // They neither back off starts nor count as failed starts.
    expect(policy.mayStart(0)).toBe(true);
    expect(new StartPolicy().failed(false, 0)).toEqual({ retry: 'later', delayMs: 50 });
  });

  it('probes (one call at a time for a new worker) from a death under calls before any answer until an answer', () => {
    const policy = new StartPolicy();
    expect(policy.probing).toBe(false);
    policy.diedUnanswered();
    expect(policy.probing).toBe(true);
    policy.diedUnanswered();
    expect(policy.probing).toBe(true);
    policy.answered();
    expect(policy.probing).toBe(false);
  });

  it('killed starts do not break a run of failures apart, nor add to it', () => {
    const policy = new StartPolicy();
    policy.failed(false, 0);
    policy.failed(true, 10);
    policy.failed(false, 100);
    expect(policy.failed(false, 300)).toMatchObject({ retry: 'never' });
  });
});
