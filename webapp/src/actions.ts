import manifest from 'manifest';

// The host store is shared by every plugin, so action types carry the plugin id.
export const LEAD_UPDATED = `${manifest.id}/lead_updated`;
export const WEBSOCKET_RECONNECTED = `${manifest.id}/websocket_reconnected`;

// Payload of the server's lead_updated websocket event. The server owns its shape and
// will grow it; the webapp keeps it as received and reads fields where it needs them.
export type LeadUpdatedData = Readonly<Record<string, unknown>>;

export type LeadUpdate = {
    data: LeadUpdatedData;

    // The channel the event was broadcast to ("" for a user- or team-wide broadcast).
    channelId: string;
    receivedAt: number;
};

export type LeadUpdatedAction = {
    type: typeof LEAD_UPDATED;
    update: LeadUpdate;
};

export type WebsocketReconnectedAction = {
    type: typeof WEBSOCKET_RECONNECTED;
    reconnectedAt: number;
};

export type InboxAction = LeadUpdatedAction | WebsocketReconnectedAction;

export function leadUpdated(data: LeadUpdatedData, channelId: string, receivedAt: number): LeadUpdatedAction {
    return {type: LEAD_UPDATED, update: {data, channelId, receivedAt}};
}

export function websocketReconnected(reconnectedAt: number): WebsocketReconnectedAction {
    return {type: WEBSOCKET_RECONNECTED, reconnectedAt};
}

export function isLeadUpdated(action: {type: string}): action is LeadUpdatedAction {
    return action.type === LEAD_UPDATED;
}

export function isWebsocketReconnected(action: {type: string}): action is WebsocketReconnectedAction {
    return action.type === WEBSOCKET_RECONNECTED;
}
