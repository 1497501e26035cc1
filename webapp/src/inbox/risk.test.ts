import {
    CRITICAL_MS,
    DAY,
    HOUR,
    MINUTE,
    compareByRisk,
    countTabs,
    countdownLevel,
    inTab,
    isAtRisk,
    sortByRisk,
    windowPhase,
} from './risk';
import type {InboxTab} from './risk';
import {ME, NOW, OTHER, SETTINGS, makeLead} from './test_utils';

describe('windowPhase', () => {
    const end = NOW + HOUR;
    const lead = makeLead('a', {window: {standard_until: end, human_agent_until: NOW + (6 * DAY), private_reply_until: NOW + (2 * DAY), human_agent_enabled: false}});
    const withHumanAgent = makeLead('b', {window: {standard_until: end, human_agent_until: end + DAY, human_agent_enabled: true}});

    it.each([
        ['1 ms before the end of the 24-hour window', lead, end - 1, {kind: 'standard', until: end}],
        ['exactly at its end: the private reply takes over (Human Agent off)', lead, end, {kind: 'private_reply', until: NOW + (2 * DAY)}],
        ['1 ms after its end', lead, end + 1, {kind: 'private_reply', until: NOW + (2 * DAY)}],
        ['at the end with the Human Agent tag enabled', withHumanAgent, end, {kind: 'human_agent', until: end + DAY}],
        ['1 ms before the Human Agent window ends', withHumanAgent, end + DAY - 1, {kind: 'human_agent', until: end + DAY}],
        ['exactly when the Human Agent window ends', withHumanAgent, end + DAY, {kind: 'closed', closedAt: end + DAY}],
        ['after every window', lead, NOW + (3 * DAY), {kind: 'closed', closedAt: NOW + (2 * DAY)}],
    ])('%s', (_name, l, now, expected) => {
        expect(windowPhase(l, now)).toEqual(expected);
    });

    it('is closed with no end when the lead never had a window', () => {
        const none = makeLead('c', {window: {standard_until: 0, last_customer_at: 0, human_agent_enabled: false}});
        expect(windowPhase(none, NOW)).toEqual({kind: 'closed'});
    });

    it('ignores the Human Agent window when the admin has not enabled it', () => {
        const off = makeLead('d', {window: {standard_until: NOW - 1, human_agent_until: NOW + DAY, human_agent_enabled: false}});
        expect(windowPhase(off, NOW)).toEqual({kind: 'closed', closedAt: NOW - 1});
    });
});

describe('countdownLevel', () => {
    const until = NOW + DAY;
    const warn = SETTINGS.window_warning_minutes * MINUTE;

    it.each([
        ['a day before', until - DAY, 'ok'],
        ['1 ms before the warning starts', until - warn - 1, 'ok'],
        ['exactly window_warning_minutes before', until - warn, 'warning'],
        ['1 ms after the warning starts', until - warn + 1, 'warning'],
        ['1 ms before the last 15 minutes', until - CRITICAL_MS - 1, 'warning'],
        ['exactly 15 minutes before', until - CRITICAL_MS, 'critical'],
        ['1 ms before the end', until - 1, 'critical'],
        ['exactly at the end', until, 'expired'],
        ['1 ms after the end', until + 1, 'expired'],
    ])('%s: %s', (_name, now, level) => {
        expect(countdownLevel(until, now, SETTINGS)).toBe(level);
    });

    it('has no warning level when the admin turned the warning off', () => {
        expect(countdownLevel(until, until - HOUR, {...SETTINGS, window_warning_minutes: 0})).toBe('ok');
        expect(countdownLevel(until, until - MINUTE, {...SETTINGS, window_warning_minutes: 0})).toBe('critical');
    });

    it('is expired without an end', () => {
        expect(countdownLevel(undefined, NOW, SETTINGS)).toBe('expired');
    });
});

describe('isAtRisk', () => {
    const fresh = {last_customer_at: NOW - MINUTE, standard_until: NOW - MINUTE + DAY, human_agent_enabled: false};
    const warnMs = SETTINGS.window_warning_minutes * MINUTE;
    const alertMs = SETTINGS.unanswered_alert_minutes * MINUTE;

    it.each([
        ['a buyer who wrote a minute ago', makeLead('a', {window: fresh}), false],
        ['unanswered exactly unanswered_alert_minutes', makeLead('a', {window: {...fresh, last_customer_at: NOW - alertMs}}), false],
        ['unanswered 1 ms longer than unanswered_alert_minutes', makeLead('a', {window: {...fresh, last_customer_at: NOW - alertMs - 1}}), true],
        ['window closing exactly window_warning_minutes from now', makeLead('a', {window: {...fresh, standard_until: NOW + warnMs}}), true],
        ['window closing 1 ms after the warning', makeLead('a', {window: {...fresh, standard_until: NOW + warnMs + 1}}), false],
        ['window closed on a waiting buyer (nothing can be sent)', makeLead('a', {window: {...fresh, standard_until: NOW}}), true],
        ['window closing soon on an answered buyer', makeLead('a', {unanswered: false, window: {...fresh, standard_until: NOW + MINUTE}}), false],
        ['window closed on an answered buyer', makeLead('a', {unanswered: false, window: {...fresh, standard_until: NOW - HOUR}}), false],
        ['under policy review, even answered', makeLead('a', {unanswered: false, handoff: {under_review: true}}), true],
        ['closed, whatever its window', makeLead('a', {handoff: {state: 'closed'}, window: {...fresh, standard_until: NOW}}), false],
    ])('%s: %s', (_name, lead, expected) => {
        expect(isAtRisk(lead, NOW, SETTINGS)).toBe(expected);
    });

    it('follows the settings: 0 turns each alert off', () => {
        const waiting = makeLead('a', {window: {...fresh, last_customer_at: NOW - HOUR, standard_until: NOW + MINUTE}});
        expect(isAtRisk(waiting, NOW, {...SETTINGS, window_warning_minutes: 0, unanswered_alert_minutes: 0})).toBe(false);
        expect(isAtRisk(waiting, NOW, {...SETTINGS, window_warning_minutes: 0})).toBe(true);
        expect(isAtRisk(waiting, NOW, {...SETTINGS, unanswered_alert_minutes: 0})).toBe(true);
    });
});

describe('compareByRisk', () => {
    const w = (minutesAgo: number, untilInMinutes: number) => ({
        last_customer_at: NOW - (minutesAgo * MINUTE),
        standard_until: NOW + (untilInMinutes * MINUTE),
        human_agent_enabled: false,
    });

    it('puts at-risk leads first: closed windows, then the window closing soonest, then the longest wait', () => {
        const leads = [
            makeLead('answered', {unanswered: false, window: w(600, 600)}),
            makeLead('waiting-5m-closes-23h', {window: w(5, 23 * 60)}),
            makeLead('waiting-10m-closes-23h', {window: w(10, 23 * 60)}),
            makeLead('at-risk-closes-30m', {window: w(5, 30)}),
            makeLead('at-risk-closes-10m', {window: w(5, 10)}),
            makeLead('window-closed', {window: w(25 * 60, -60)}),
            makeLead('under-review', {handoff: {under_review: true}, window: w(1, 600)}),
            makeLead('waited-an-hour', {window: w(60, 20 * 60)}),
        ];

        // At risk: the closed window, the windows closing within the warning, the review
        // (its window closes in 10 hours) and the hour-long wait (20 hours).
        expect(sortByRisk(leads, NOW, SETTINGS).map((l) => l.id)).toEqual([
            'window-closed',
            'at-risk-closes-10m',
            'at-risk-closes-30m',
            'under-review',
            'waited-an-hour',
            'waiting-10m-closes-23h',
            'waiting-5m-closes-23h',
            'answered',
        ]);
    });

    it('orders equal leads by id, so the order is stable', () => {
        const a = makeLead('a');
        const b = makeLead('b');
        expect(compareByRisk(a, b, NOW, SETTINGS)).toBeLessThan(0);
        expect(compareByRisk(b, a, NOW, SETTINGS)).toBeGreaterThan(0);
        expect(compareByRisk(a, a, NOW, SETTINGS)).toBe(0);
    });

    it('changes the order as time passes', () => {
        const closesFirst = makeLead('closes-in-5h', {window: w(1, 5 * 60)});
        const waitsLonger = makeLead('waited-10m', {window: w(10, 23 * 60)});

        // Neither is at risk yet: the sooner window leads.
        expect(sortByRisk([waitsLonger, closesFirst], NOW, SETTINGS).map((l) => l.id)).toEqual(['closes-in-5h', 'waited-10m']);

        // 6 minutes on, one buyer has waited past unanswered_alert_minutes.
        expect(sortByRisk([waitsLonger, closesFirst], NOW + (6 * MINUTE), SETTINGS).map((l) => l.id)).toEqual(['waited-10m', 'closes-in-5h']);
    });
});

describe('tabs', () => {
    const leads = {
        open: makeLead('open'),
        review: makeLead('review', {handoff: {under_review: true}}),
        mine: makeLead('mine', {handoff: {state: 'claimed', owner_id: ME}}),
        theirs: makeLead('theirs', {handoff: {state: 'claimed', owner_id: OTHER}}),
        closed: makeLead('closed', {handoff: {state: 'closed'}}),
        risky: makeLead('risky', {window: {last_customer_at: NOW - HOUR}}),
    };

    it.each<[InboxTab, string[]]>([
        ['unclaimed', ['open', 'risky']],
        ['mine', ['mine']],
        ['open', ['open', 'review', 'mine', 'theirs', 'risky']],
        ['at_risk', ['review', 'risky']],
    ])('%s holds %j', (tab, ids) => {
        expect(Object.values(leads).filter((l) => inTab(tab, l, NOW, SETTINGS, ME)).map((l) => l.id)).toEqual(ids);
    });

    it('has no "mine" without a current user', () => {
        expect(inTab('mine', makeLead('x', {handoff: {state: 'claimed', owner_id: ''}}), NOW, SETTINGS, '')).toBe(false);
    });

    it('counts every tab', () => {
        expect(countTabs(Object.values(leads), NOW, SETTINGS, ME)).toEqual({unclaimed: 2, mine: 1, open: 5, atRisk: 2});
    });
});
