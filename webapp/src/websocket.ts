import {getCurrentChannelId} from 'mattermost-redux/selectors/entities/common';

import {fetchChannelLead, fetchLead, fetchQueue, websocketReconnected} from 'actions';
import {refetchKnownDeliveries} from 'deliveries/websocket';
import {refreshChannelLead} from 'inbox/channel_lead';
import manifest from 'manifest';
import type {LeadUpdatedEvent} from 'types';
import type {PluginStore, PluginWebSocketMessage} from 'types/mattermost-webapp';

// The server publishes "lead_updated"; Mattermost prefixes plugin events with
// "custom_<plugin id>_".
export const LEAD_UPDATED_EVENT = `custom_${manifest.id}_lead_updated`;

// A claim, a reply and its delivery can each publish lead_updated within a moment: one
// refetch per lead for such a burst is enough.
export const LEAD_UPDATE_COALESCE_MS = 250;

type Clock = () => number;

type LeadUpdatedOptions = {
    delayMs?: number;
};

// Refetches the lead an event names (the event says only that it changed), at most once
// per lead per burst. The refetch adds a new lead to the queue and drops a closed one.
export function handleLeadUpdated(store: PluginStore, {delayMs = LEAD_UPDATE_COALESCE_MS}: LeadUpdatedOptions = {}) {
    const pending = new Map<string, ReturnType<typeof setTimeout>>();

    return (msg: PluginWebSocketMessage<Partial<LeadUpdatedEvent>>) => {
        const data = msg?.data ?? {};
        const leadId = typeof data.lead_id === 'string' ? data.lead_id : '';
        const channelId = typeof data.channel_id === 'string' ? data.channel_id : msg?.broadcast?.channel_id ?? '';
        const key = leadId || (channelId && `channel:${channelId}`);
        if (!key || pending.has(key)) {
            return;
        }
        pending.set(key, setTimeout(() => {
            pending.delete(key);
            if (leadId) {
                fetchLead(store.dispatch, leadId);
            } else {
                fetchChannelLead(store.dispatch, channelId).catch(() => undefined);
            }
        }, delayMs));
    };
}

// Websocket delivery is best-effort: anything published while this client was
// disconnected is gone, so refetch the queue, the current channel's lead and the
// deliveries on screen. Mattermost keeps one reconnect handler per plugin, so this one
// speaks for the deliveries too.
export function handleReconnect(store: PluginStore, now: Clock = Date.now) {
    return () => {
        store.dispatch(websocketReconnected(now()));
        refetchKnownDeliveries(store);
        fetchQueue(store.dispatch);
        refreshChannelLead(store.dispatch, store.getState, getCurrentChannelId(store.getState()));
    };
}
