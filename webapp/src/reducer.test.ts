import type {GlobalState} from '@mattermost/types/store';

import {leadUpdated, websocketReconnected} from 'actions';
import reducer, {initialState} from 'reducer';
import {getInboxState, getLastLeadUpdate, getLastReconnectAt} from 'selectors';

describe('reducer', () => {
    it('starts with no lead update and no reconnect', () => {
        expect(reducer(undefined, {type: '@@INIT'})).toEqual({lastLeadUpdate: null, lastReconnectAt: null});
    });

    it('keeps the latest lead_updated event', () => {
        let state = reducer(undefined, leadUpdated({lead_id: 'lead1'}, 'channel1', 1000));
        state = reducer(state, leadUpdated({lead_id: 'lead2'}, 'channel2', 2000));

        expect(state.lastLeadUpdate).toEqual({data: {lead_id: 'lead2'}, channelId: 'channel2', receivedAt: 2000});
    });

    it('records a reconnect without forgetting the last lead update', () => {
        const updated = reducer(undefined, leadUpdated({lead_id: 'lead1'}, 'channel1', 1000));
        const state = reducer(updated, websocketReconnected(5000));

        expect(state.lastReconnectAt).toBe(5000);
        expect(state.lastLeadUpdate).toBe(updated.lastLeadUpdate);
    });

    it('returns the same state for actions of other plugins and the host', () => {
        const state = reducer(undefined, websocketReconnected(5000));

        expect(reducer(state, {type: 'RECEIVED_POST'})).toBe(state);
        expect(reducer(state, {type: 'other-plugin/lead_updated'})).toBe(state);
    });
});

describe('selectors', () => {
    it('read the plugin slice from plugins-social-inbox', () => {
        const inbox = reducer(reducer(undefined, leadUpdated({lead_id: 'lead1'}, 'channel1', 1000)), websocketReconnected(5000));
        const state = {'plugins-social-inbox': inbox} as unknown as GlobalState;

        expect(getInboxState(state)).toBe(inbox);
        expect(getLastLeadUpdate(state)).toEqual({data: {lead_id: 'lead1'}, channelId: 'channel1', receivedAt: 1000});
        expect(getLastReconnectAt(state)).toBe(5000);
    });

    it('fall back to the initial state before the reducer is registered', () => {
        expect(getInboxState({} as GlobalState)).toBe(initialState);
    });
});
