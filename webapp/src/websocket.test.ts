import {leadUpdated, websocketReconnected} from 'actions';
import type {PluginStore, PluginWebSocketMessage} from 'types/mattermost-webapp';
import {LEAD_UPDATED_EVENT, handleLeadUpdated, handleReconnect} from 'websocket';

const clock = () => 1234;

function fakeStore(): PluginStore & {dispatch: jest.Mock} {
    return {dispatch: jest.fn(), getState: jest.fn()};
}

describe('websocket handlers', () => {
    it('listen to the server event as Mattermost prefixes it for plugins', () => {
        expect(LEAD_UPDATED_EVENT).toBe('custom_social-inbox_lead_updated');
    });

    it('dispatch the lead update with its channel and the time it arrived', () => {
        const store = fakeStore();
        const msg: PluginWebSocketMessage<Record<string, unknown>> = {
            event: LEAD_UPDATED_EVENT,
            data: {lead_id: 'lead1'},
            broadcast: {omit_users: {}, user_id: '', channel_id: 'channel1', team_id: 'team1'},
            seq: 3,
        };

        handleLeadUpdated(store, clock)(msg);

        expect(store.dispatch).toHaveBeenCalledWith(leadUpdated({lead_id: 'lead1'}, 'channel1', 1234));
    });

    it('dispatch the reconnect time', () => {
        const store = fakeStore();

        handleReconnect(store, clock)();

        expect(store.dispatch).toHaveBeenCalledWith(websocketReconnected(1234));
    });
});
