import {act} from '@testing-library/react';

import client from 'client';
import {channelNotLead, leadReceived, queueReceived} from 'actions';
import {deliveriesReceived} from 'deliveries/actions';
import {NOW, SET_CHANNEL, SETTINGS, makeLead, makeStore} from 'inbox/test_utils';
import {getLastReconnectAt, getLead, getQueue} from 'selectors';
import type {PluginStore, PluginWebSocketMessage} from 'types/mattermost-webapp';
import {LEAD_UPDATED_EVENT, LEAD_UPDATE_COALESCE_MS, handleLeadUpdated, handleReconnect} from 'websocket';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

function event(leadId: string, channelId = `channel-${leadId}`): PluginWebSocketMessage<{lead_id: string; channel_id: string}> {
    return {
        event: LEAD_UPDATED_EVENT,
        data: {lead_id: leadId, channel_id: channelId},
        broadcast: {omit_users: {}, user_id: '', channel_id: channelId, team_id: ''},
        seq: 3,
    };
}

beforeEach(() => {
    jest.clearAllMocks();
    jest.useFakeTimers({now: NOW});
});

afterEach(() => {
    jest.useRealTimers();
});

async function flush(ms = LEAD_UPDATE_COALESCE_MS) {
    await act(async () => {
        await jest.advanceTimersByTimeAsync(ms);
    });
}

describe('lead_updated', () => {
    it('listens to the server event as Mattermost prefixes it for plugins', () => {
        expect(LEAD_UPDATED_EVENT).toBe('custom_social-inbox_lead_updated');
    });

    it('refetches the lead once for a burst of events', async () => {
        const store = makeStore();
        store.dispatch(queueReceived({leads: [makeLead('a')], now: NOW, settings: SETTINGS}, NOW));
        mocked.getLead.mockResolvedValue(makeLead('a', {handoff: {state: 'claimed', owner_id: 'u1'}, updated_at: NOW + 1}));
        const handler = handleLeadUpdated(store as PluginStore);

        handler(event('a'));
        handler(event('a'));
        handler(event('a'));
        expect(mocked.getLead).not.toHaveBeenCalled();
        await flush();

        expect(mocked.getLead).toHaveBeenCalledTimes(1);
        expect(getLead(store.getState(), 'a')?.handoff.state).toBe('claimed');

        handler(event('a'));
        await flush();
        expect(mocked.getLead).toHaveBeenCalledTimes(2);
    });

    it('refetches each lead of a burst', async () => {
        const store = makeStore();
        mocked.getLead.mockImplementation(async (id) => makeLead(id));
        const handler = handleLeadUpdated(store as PluginStore);

        handler(event('a'));
        handler(event('b'));
        await flush();

        expect(mocked.getLead.mock.calls.map(([id]) => id).sort()).toEqual(['a', 'b']);
    });

    it('adds a new lead to the queue and drops a closed one', async () => {
        const store = makeStore();
        store.dispatch(queueReceived({leads: [makeLead('a')], now: NOW, settings: SETTINGS}, NOW));
        const handler = handleLeadUpdated(store as PluginStore);

        mocked.getLead.mockResolvedValueOnce(makeLead('new'));
        handler(event('new'));
        await flush();
        expect(getQueue(store.getState()).ids).toEqual(['a', 'new']);

        mocked.getLead.mockResolvedValueOnce(makeLead('a', {handoff: {state: 'closed'}, updated_at: NOW + 1}));
        handler(event('a'));
        await flush();
        expect(getQueue(store.getState()).ids).toEqual(['new']);
    });
});

describe('reconnect', () => {
    it('records the time and refetches the queue, the current lead channel and the deliveries', async () => {
        const store = makeStore({channelId: 'channel-a'});
        store.dispatch(leadReceived(makeLead('a')));
        store.dispatch(deliveriesReceived({}, ['post-without-delivery']));
        mocked.listLeads.mockResolvedValue({leads: [], now: NOW, settings: SETTINGS});
        mocked.getChannelLead.mockResolvedValue(makeLead('a'));

        handleReconnect(store as PluginStore, () => 1234)();
        await flush(0);

        expect(getLastReconnectAt(store.getState())).toBe(1234);
        expect(mocked.listLeads).toHaveBeenCalledTimes(1);
        expect(mocked.getChannelLead).toHaveBeenCalledWith('channel-a');

        // Posts the server had no delivery for are asked about again by their views.
        expect(store.getState()['plugins-social-inbox' as never]).toMatchObject({deliveries: {notFound: {}}});
    });

    it('does not ask about a channel known not to be a lead channel', async () => {
        const store = makeStore({channelId: 'town-square'});
        store.dispatch(channelNotLead('town-square'));
        mocked.listLeads.mockResolvedValue({leads: [], now: NOW, settings: SETTINGS});

        handleReconnect(store as PluginStore)();
        await flush(0);

        expect(mocked.listLeads).toHaveBeenCalledTimes(1);
        expect(mocked.getChannelLead).not.toHaveBeenCalled();
    });

    it('asks about the channel the user is in now', async () => {
        const store = makeStore({channelId: 'town-square'});
        store.dispatch({type: SET_CHANNEL, channelId: 'channel-b'});
        mocked.listLeads.mockResolvedValue({leads: [], now: NOW, settings: SETTINGS});
        mocked.getChannelLead.mockResolvedValue(makeLead('b'));

        handleReconnect(store as PluginStore)();
        await flush(0);

        expect(mocked.getChannelLead).toHaveBeenCalledWith('channel-b');
    });
});
