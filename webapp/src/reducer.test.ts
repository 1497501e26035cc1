import type {GlobalState} from '@mattermost/types/store';

import {
    channelNotLead,
    leadReceived,
    leadRemoved,
    queueFailed,
    queueReceived,
    queueRequested,
    websocketReconnected,
} from 'actions';
import {deliveryUpdated} from 'deliveries/actions';
import {HOUR, MINUTE} from 'inbox/risk';
import {ME, NOW, OTHER, SETTINGS, makeLead} from 'inbox/test_utils';
import reducer, {initialState} from 'reducer';
import type {InboxState} from 'reducer';
import {
    getClockSkew,
    getInboxState,
    getLastReconnectAt,
    getLead,
    getLeadByChannel,
    getQueue,
    getQueueCounts,
    getQueueLeads,
    getSettings,
} from 'selectors';

function run(...actions: Array<{type: string}>): InboxState {
    return actions.reduce(reducer, undefined as unknown as InboxState);
}

function globalState(inbox: InboxState, currentUserId = ME): GlobalState {
    return {'plugins-social-inbox': inbox, entities: {users: {currentUserId}}} as unknown as GlobalState;
}

const list = (leads = [makeLead('a'), makeLead('b')], now = NOW) => ({leads, now, settings: SETTINGS});

describe('reducer', () => {
    it('starts empty, with the deliveries slice of src/deliveries', () => {
        const state = reducer(undefined, {type: '@@INIT'});
        expect(state).toEqual(initialState);
        expect(state.queue).toMatchObject({ids: [], loading: false, error: null, loadedAt: null, settings: null, clockSkew: 0});
        expect(state.deliveries).toEqual({byPostId: {}, notFound: {}, revisions: {}});
    });

    it('keeps the queue, its settings and the clock skew from a fetch', () => {
        const state = run(queueRequested(), queueReceived(list(undefined, NOW + 5000), NOW));

        expect(state.queue).toMatchObject({ids: ['a', 'b'], loading: false, error: null, loadedAt: NOW, settings: SETTINGS, clockSkew: 5000});
        expect(state.leads.a.id).toBe('a');
        expect(state.channelLeads).toEqual({'channel-a': 'a', 'channel-b': 'b'});
    });

    it('records a failed fetch with the server sentence and status, keeping the leads', () => {
        const state = run(queueReceived(list(), NOW), queueRequested(), queueFailed('You are not an operator.', 403));

        expect(state.queue).toMatchObject({loading: false, error: 'You are not an operator.', errorStatus: 403, ids: ['a', 'b']});
        expect(run(queueFailed('x', 403), queueReceived(list(), NOW)).queue).toMatchObject({error: null, errorStatus: null});
    });

    it('adds a new lead to the queue and drops a closed one', () => {
        let state = run(queueReceived(list(), NOW), leadReceived(makeLead('c')));
        expect(state.queue.ids).toEqual(['a', 'b', 'c']);

        state = reducer(state, leadReceived(makeLead('a', {handoff: {state: 'closed'}, updated_at: NOW})));
        expect(state.queue.ids).toEqual(['b', 'c']);
        expect(state.leads.a.handoff.state).toBe('closed');
    });

    it('keeps the newer view of a lead when an older one arrives later', () => {
        const newer = makeLead('a', {handoff: {state: 'claimed', owner_id: ME}, updated_at: NOW + 10});
        const older = makeLead('a', {updated_at: NOW});
        const state = run(leadReceived(newer), leadReceived(older));
        expect(state.leads.a).toBe(newer);
    });

    it('keeps a lead that changed after the server built a queue list', () => {
        const fresh = makeLead('c', {updated_at: NOW + 10});
        const state = run(leadReceived(fresh), queueReceived(list(undefined, NOW), NOW));
        expect(state.queue.ids).toEqual(['a', 'b', 'c']);

        const stale = run(leadReceived(makeLead('c', {updated_at: NOW - 10})), queueReceived(list(undefined, NOW), NOW));
        expect(stale.queue.ids).toEqual(['a', 'b']);
    });

    it('forgets a lead the server no longer knows', () => {
        const state = run(queueReceived(list(), NOW), leadRemoved('a'));
        expect(state.queue.ids).toEqual(['b']);
        expect(state.leads.a).toBeUndefined();
        expect(state.channelLeads['channel-a']).toBeUndefined();
    });

    it('remembers channels that are not lead channels', () => {
        const state = run(channelNotLead('town-square'));
        expect(state.channelLeads).toEqual({'town-square': null});
        expect(reducer(state, channelNotLead('town-square'))).toBe(state);
    });

    it('records reconnects', () => {
        expect(run(websocketReconnected(5000)).lastReconnectAt).toBe(5000);
    });

    it('passes delivery actions to the deliveries slice', () => {
        const state = run(deliveryUpdated({post_id: 'p1', lead_id: 'a', channel_id: 'channel-a', state: 'sent', retryable: false}));
        expect(state.deliveries.byPostId.p1.state).toBe('sent');
    });

    it('returns the same state for actions of other plugins and the host', () => {
        const state = run(queueReceived(list(), NOW));
        expect(reducer(state, {type: 'RECEIVED_POST'})).toBe(state);
        expect(reducer(state, {type: 'other-plugin/lead_received'})).toBe(state);
    });
});

describe('selectors', () => {
    const claimed = makeLead('mine', {handoff: {state: 'claimed', owner_id: ME}});
    const theirs = makeLead('theirs', {handoff: {state: 'claimed', owner_id: OTHER}});
    const risky = makeLead('risky', {window: {last_customer_at: NOW - HOUR}});
    const inbox = run(
        queueReceived({leads: [makeLead('a'), claimed, theirs, risky], now: NOW + 1000, settings: SETTINGS}, NOW),
        channelNotLead('town-square'),
        websocketReconnected(42),
    );
    const state = globalState(inbox);

    it('read the plugin slice from plugins-social-inbox', () => {
        expect(getInboxState(state)).toBe(inbox);
        expect(getQueue(state)).toBe(inbox.queue);
        expect(getSettings(state)).toEqual(SETTINGS);
        expect(getClockSkew(state)).toBe(1000);
        expect(getLastReconnectAt(state)).toBe(42);
    });

    it('find a lead by id and by channel: lead, null (not a lead channel) or undefined (not asked)', () => {
        expect(getLead(state, 'a')?.id).toBe('a');
        expect(getLeadByChannel(state, 'channel-a')?.id).toBe('a');
        expect(getLeadByChannel(state, 'town-square')).toBeNull();
        expect(getLeadByChannel(state, 'never-asked')).toBeUndefined();
    });

    it('list the queue, the same array while nothing changes', () => {
        expect(getQueueLeads(state).map((l) => l.id)).toEqual(['a', 'mine', 'theirs', 'risky']);
        expect(getQueueLeads(state)).toBe(getQueueLeads(state));
    });

    it('count the tabs for the current user at a time', () => {
        expect(getQueueCounts(state, NOW)).toEqual({unclaimed: 2, mine: 1, open: 4, atRisk: 1});
        expect(getQueueCounts(globalState(inbox, OTHER), NOW)).toMatchObject({mine: 1});

        // 20 minutes on, every waiting buyer has waited past the alert.
        expect(getQueueCounts(state, NOW + (20 * MINUTE)).atRisk).toBe(4);
    });

    it('fall back to the initial state and default settings before the reducer is registered', () => {
        const empty = {entities: {users: {currentUserId: ME}}} as unknown as GlobalState;
        expect(getInboxState(empty)).toBe(initialState);
        expect(getSettings(empty)).toEqual({window_warning_minutes: 120, unanswered_alert_minutes: 15, human_agent_enabled: false});
        expect(getQueueCounts(empty, NOW)).toEqual({unclaimed: 0, mine: 0, open: 0, atRisk: 0});
    });
});
