import type {GlobalState} from '@mattermost/types/store';

import client, {ApiError} from 'client';
import manifest from 'manifest';
import type {InboxSettings, LeadAction, LeadList, LeadView} from 'types';

// The host store is shared by every plugin, so action types carry the plugin id.
export const QUEUE_REQUESTED = `${manifest.id}/queue_requested` as const;
export const QUEUE_RECEIVED = `${manifest.id}/queue_received` as const;
export const QUEUE_FAILED = `${manifest.id}/queue_failed` as const;
export const LEAD_RECEIVED = `${manifest.id}/lead_received` as const;
export const LEAD_REMOVED = `${manifest.id}/lead_removed` as const;
export const CHANNEL_NOT_LEAD = `${manifest.id}/channel_not_lead` as const;
export const WEBSOCKET_RECONNECTED = `${manifest.id}/websocket_reconnected` as const;

export type QueueRequestedAction = {type: typeof QUEUE_REQUESTED};

export type QueueReceivedAction = {
    type: typeof QUEUE_RECEIVED;
    leads: LeadView[];
    settings: InboxSettings;

    // The server's clock when it built the list, and the local clock at the same moment
    // (the middle of the request), so countdowns can follow the server's clock.
    serverNow: number;
    localNow: number;
};

export type QueueFailedAction = {
    type: typeof QUEUE_FAILED;

    // The server's sentence, and its HTTP status (0 when the server was not reached).
    message: string;
    status: number;
};

export type LeadReceivedAction = {type: typeof LEAD_RECEIVED; lead: LeadView};

// The server no longer knows the lead (404).
export type LeadRemovedAction = {type: typeof LEAD_REMOVED; leadId: string};

export type ChannelNotLeadAction = {type: typeof CHANNEL_NOT_LEAD; channelId: string};

export type WebsocketReconnectedAction = {type: typeof WEBSOCKET_RECONNECTED; reconnectedAt: number};

export type InboxAction =
    | QueueRequestedAction
    | QueueReceivedAction
    | QueueFailedAction
    | LeadReceivedAction
    | LeadRemovedAction
    | ChannelNotLeadAction
    | WebsocketReconnectedAction;

export function queueRequested(): QueueRequestedAction {
    return {type: QUEUE_REQUESTED};
}

export function queueReceived(list: LeadList, localNow: number): QueueReceivedAction {
    return {type: QUEUE_RECEIVED, leads: list.leads ?? [], settings: list.settings, serverNow: list.now, localNow};
}

export function queueFailed(message: string, status: number): QueueFailedAction {
    return {type: QUEUE_FAILED, message, status};
}

export function leadReceived(lead: LeadView): LeadReceivedAction {
    return {type: LEAD_RECEIVED, lead};
}

export function leadRemoved(leadId: string): LeadRemovedAction {
    return {type: LEAD_REMOVED, leadId};
}

export function channelNotLead(channelId: string): ChannelNotLeadAction {
    return {type: CHANNEL_NOT_LEAD, channelId};
}

export function websocketReconnected(reconnectedAt: number): WebsocketReconnectedAction {
    return {type: WEBSOCKET_RECONNECTED, reconnectedAt};
}

function is<A extends InboxAction>(type: A['type']) {
    return (action: {type: string}): action is A => action.type === type;
}

export const isQueueRequested = is<QueueRequestedAction>(QUEUE_REQUESTED);
export const isQueueReceived = is<QueueReceivedAction>(QUEUE_RECEIVED);
export const isQueueFailed = is<QueueFailedAction>(QUEUE_FAILED);
export const isLeadReceived = is<LeadReceivedAction>(LEAD_RECEIVED);
export const isLeadRemoved = is<LeadRemovedAction>(LEAD_REMOVED);
export const isChannelNotLead = is<ChannelNotLeadAction>(CHANNEL_NOT_LEAD);
export const isWebsocketReconnected = is<WebsocketReconnectedAction>(WEBSOCKET_RECONNECTED);

// Async actions are plain functions over the store's dispatch (and getState where they
// read it): the host store has redux-thunk, a test store need not.
export type Dispatch = (action: {type: string}) => unknown;
export type GetState = () => GlobalState;

function errorMessage(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

function errorStatus(err: unknown): number {
    return err instanceof ApiError ? err.status : 0;
}

// One queue request at a time: the panel, the header icon and the reconnect handler may
// all ask at once.
let queueInFlight: Promise<void> | null = null;

export function fetchQueue(dispatch: Dispatch, now: () => number = Date.now): Promise<void> {
    if (queueInFlight) {
        return queueInFlight;
    }
    dispatch(queueRequested());
    const sentAt = now();
    queueInFlight = client.listLeads().then(
        (list) => {
            dispatch(queueReceived(list, Math.round((sentAt + now()) / 2)));
        },
        (err: unknown) => {
            dispatch(queueFailed(errorMessage(err), errorStatus(err)));
        },
    ).finally(() => {
        queueInFlight = null;
    });
    return queueInFlight;
}

// Fetches one lead. A 404 means the lead is gone; other failures leave the store as it
// was, since the lead may simply be out of reach for a moment. Resolves to the lead, or
// null when it could not be fetched. Always a new request: after a lead_updated event
// an answer to an earlier request may predate the change.
export async function fetchLead(dispatch: Dispatch, leadId: string): Promise<LeadView | null> {
    try {
        const lead = await client.getLead(leadId);
        dispatch(leadReceived(lead));
        return lead;
    } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
            dispatch(leadRemoved(leadId));
        }
        return null;
    }
}

const leadInFlight = new Map<string, Promise<LeadView | null>>();

// fetchLead, sharing a request already on its way: the views of a lead channel all ask
// when the server's decision about sending runs out.
export function refreshLead(dispatch: Dispatch, leadId: string): Promise<LeadView | null> {
    const pending = leadInFlight.get(leadId);
    if (pending) {
        return pending;
    }
    const request = fetchLead(dispatch, leadId).finally(() => {
        leadInFlight.delete(leadId);
    });
    leadInFlight.set(leadId, request);
    return request;
}

const channelInFlight = new Map<string, Promise<LeadView | null>>();

// Fetches the lead that owns a channel, and remembers a channel that is not a lead
// channel (null) so nothing asks about it again. A user outside the operator pool (403)
// sees no lead anywhere, so the channel counts as not a lead channel for them too, and
// their posts are not held up by a request per post. Other errors propagate, so a
// caller can tell "not a lead channel" from "could not check".
export function fetchChannelLead(dispatch: Dispatch, channelId: string): Promise<LeadView | null> {
    const pending = channelInFlight.get(channelId);
    if (pending) {
        return pending;
    }
    const request = client.getChannelLead(channelId).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 403) {
            return null;
        }
        throw err;
    }).then((lead) => {
        dispatch(lead ? leadReceived(lead) : channelNotLead(channelId));
        return lead;
    }).finally(() => {
        channelInFlight.delete(channelId);
    });
    channelInFlight.set(channelId, request);
    return request;
}

export type LeadActionOutcome =
    | {ok: true; message: string; lead: LeadView}
    | {ok: false; message: string; status: number; lead?: LeadView};

// Runs a handoff action. The answer, or on 409 the lead as it is now, goes to the store;
// the outcome carries the server's sentence for the person either way.
export async function leadAction(
    dispatch: Dispatch,
    leadId: string,
    action: LeadAction,
    body: {reason?: string; to_user_id?: string} = {},
): Promise<LeadActionOutcome> {
    try {
        const result = await client.leadAction(leadId, action, body);
        if (result.lead) {
            dispatch(leadReceived(result.lead));
        }
        return {ok: true, message: result.message, lead: result.lead};
    } catch (err) {
        if (err instanceof ApiError) {
            if (err.lead) {
                dispatch(leadReceived(err.lead));
            }
            return {ok: false, message: err.message, status: err.status, lead: err.lead};
        }
        return {ok: false, message: errorMessage(err), status: 0};
    }
}
