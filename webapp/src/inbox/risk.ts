// How urgent a lead is, from the server's LeadView and a clock. Nothing here decides
// what may be sent (the server's `send` does); these functions only order, filter and
// colour what the server said, counting down to the times it gave.

import type {InboxSettings, LeadView} from 'types';

export const MINUTE = 60 * 1000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// A countdown turns critical this close to the end, whatever the warning setting.
export const CRITICAL_MS = 15 * MINUTE;

// Until the queue has been fetched, the plugin's defaults (plugin.json) stand in.
export const DEFAULT_SETTINGS: InboxSettings = {
    window_warning_minutes: 120,
    unanswered_alert_minutes: 15,
    human_agent_enabled: false,
};

export type WindowKind = 'standard' | 'human_agent' | 'private_reply';

// Which of Meta's reply windows is open at `now`, and until when. "closed" carries the
// end of the last window that was open, if any.
export type WindowPhase =
    | {kind: WindowKind; until: number}
    | {kind: 'closed'; closedAt?: number};

// The windows in the order Meta's rules apply them (the same order as the server's
// relay.Decide): the 24-hour window, then the Human Agent tag when the admin enabled
// it, then the one private reply to a comment. A window is open while now < until, so
// it is closed at exactly its end.
export function windowPhase(lead: LeadView, now: number): WindowPhase {
    const w = lead.window;
    if (w.standard_until && now < w.standard_until) {
        return {kind: 'standard', until: w.standard_until};
    }
    if (w.human_agent_enabled && w.human_agent_until && now < w.human_agent_until) {
        return {kind: 'human_agent', until: w.human_agent_until};
    }
    if (w.private_reply_until && now < w.private_reply_until) {
        return {kind: 'private_reply', until: w.private_reply_until};
    }
    const ends = [w.standard_until, w.human_agent_enabled ? w.human_agent_until : 0, w.private_reply_until].
        filter((t): t is number => Boolean(t) && (t as number) <= now);
    return ends.length ? {kind: 'closed', closedAt: Math.max(...ends)} : {kind: 'closed'};
}

export type CountdownLevel = 'ok' | 'warning' | 'critical' | 'expired';

// Colour level of a countdown to `until`: expired at or after the end, critical within
// 15 minutes of it, warning within the admin's window_warning_minutes (0 turns the
// warning level off), ok before that.
export function countdownLevel(until: number | undefined, now: number, settings: InboxSettings): CountdownLevel {
    if (!until || now >= until) {
        return 'expired';
    }
    const left = until - now;
    if (left <= CRITICAL_MS) {
        return 'critical';
    }
    const warnMs = Math.max(0, settings.window_warning_minutes) * MINUTE;
    if (warnMs > 0 && left <= warnMs) {
        return 'warning';
    }
    return 'ok';
}

// How long the buyer has been waiting for an answer (0 when nobody is waiting).
export function waitingFor(lead: LeadView, now: number): number {
    if (!lead.unanswered || !lead.window.last_customer_at) {
        return 0;
    }
    return Math.max(0, now - lead.window.last_customer_at);
}

// At risk: an open lead whose buyer is waiting and either the window the reply would use
// closes within window_warning_minutes, or the buyer has waited longer than
// unanswered_alert_minutes, or nothing can be sent (the window is closed or the lead is
// under review). The window warning, like the server's alert, is about a waiting buyer:
// a window closing on an answered conversation loses nothing. Every lead under policy
// review is at risk: nothing reaches the buyer until someone clears it.
export function isAtRisk(lead: LeadView, now: number, settings: InboxSettings): boolean {
    if (lead.handoff.state === 'closed') {
        return false;
    }
    if (lead.handoff.under_review) {
        return true;
    }
    if (!lead.unanswered) {
        return false;
    }
    const phase = windowPhase(lead, now);
    if (phase.kind === 'closed') {
        return true;
    }
    const warnMs = Math.max(0, settings.window_warning_minutes) * MINUTE;
    if (warnMs > 0 && phase.until - now <= warnMs) {
        return true;
    }
    const alertMs = Math.max(0, settings.unanswered_alert_minutes) * MINUTE;
    return alertMs > 0 && waitingFor(lead, now) > alertMs;
}

// When the reply window ends: -Infinity when it already has (nothing can be sent to the
// buyer until they write again), the end of the open window otherwise.
function windowDeadline(lead: LeadView, now: number): number {
    const phase = windowPhase(lead, now);
    return phase.kind === 'closed' ? -Infinity : phase.until;
}

function tier(lead: LeadView, now: number, settings: InboxSettings): number {
    if (isAtRisk(lead, now, settings)) {
        return 0;
    }
    return lead.unanswered ? 1 : 2;
}

// The default order of the queue, most urgent first:
// 1. at-risk leads (under review among them), then other leads whose buyer is waiting,
//    then answered ones;
// 2. within those, leads whose window has closed first, then the window that closes
//    soonest;
// 3. then the buyer who has waited longest;
// 4. then the lead id, so the order is stable.
export function compareByRisk(a: LeadView, b: LeadView, now: number, settings: InboxSettings): number {
    const byTier = tier(a, now, settings) - tier(b, now, settings);
    if (byTier !== 0) {
        return byTier;
    }
    const da = windowDeadline(a, now);
    const db = windowDeadline(b, now);
    if (da !== db) {
        return da < db ? -1 : 1;
    }
    const byWaiting = waitingFor(b, now) - waitingFor(a, now);
    if (byWaiting !== 0) {
        return byWaiting;
    }
    if (a.id === b.id) {
        return 0;
    }
    return a.id < b.id ? -1 : 1;
}

export function sortByRisk(leads: readonly LeadView[], now: number, settings: InboxSettings): LeadView[] {
    return [...leads].sort((a, b) => compareByRisk(a, b, now, settings));
}

export type InboxTab = 'unclaimed' | 'mine' | 'open' | 'at_risk';

export const INBOX_TABS: readonly InboxTab[] = ['unclaimed', 'mine', 'open', 'at_risk'];

// Whether a lead belongs on a tab. Unclaimed leaves out leads under review: nobody
// should pick those up to answer, and they show under At risk and All open.
export function inTab(tab: InboxTab, lead: LeadView, now: number, settings: InboxSettings, currentUserId: string): boolean {
    const {state, owner_id: ownerId, under_review: underReview} = lead.handoff;
    switch (tab) {
    case 'unclaimed':
        return state === 'open' && !underReview;
    case 'mine':
        return state === 'claimed' && Boolean(currentUserId) && ownerId === currentUserId;
    case 'open':
        return state !== 'closed';
    case 'at_risk':
        return isAtRisk(lead, now, settings);
    }
    return false;
}

export type QueueCounts = {unclaimed: number; mine: number; open: number; atRisk: number};

export function countTabs(leads: readonly LeadView[], now: number, settings: InboxSettings, currentUserId: string): QueueCounts {
    const counts: QueueCounts = {unclaimed: 0, mine: 0, open: 0, atRisk: 0};
    for (const lead of leads) {
        if (inTab('unclaimed', lead, now, settings, currentUserId)) {
            counts.unclaimed++;
        }
        if (inTab('mine', lead, now, settings, currentUserId)) {
            counts.mine++;
        }
        if (inTab('open', lead, now, settings, currentUserId)) {
            counts.open++;
        }
        if (inTab('at_risk', lead, now, settings, currentUserId)) {
            counts.atRisk++;
        }
    }
    return counts;
}
