import manifest from 'manifest';

import {leadUpdated, websocketReconnected} from 'actions';
import type {LeadUpdatedData} from 'actions';
import type {PluginStore, PluginWebSocketMessage} from 'types/mattermost-webapp';

// The server publishes "lead_updated"; Mattermost prefixes plugin events with
// "custom_<plugin id>_".
export const LEAD_UPDATED_EVENT = `custom_${manifest.id}_lead_updated`;

type Clock = () => number;

export function handleLeadUpdated(store: PluginStore, now: Clock = Date.now) {
    return (msg: PluginWebSocketMessage<LeadUpdatedData>) => {
        store.dispatch(leadUpdated(msg.data ?? {}, msg.broadcast?.channel_id ?? '', now()));
    };
}

// Websocket delivery is best-effort: anything published while this client was
// disconnected is gone, so record the reconnect and let views refetch.
export function handleReconnect(store: PluginStore, now: Clock = Date.now) {
    return () => {
        store.dispatch(websocketReconnected(now()));
    };
}
