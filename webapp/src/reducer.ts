import {
    isChannelNotLead,
    isLeadReceived,
    isLeadRemoved,
    isQueueFailed,
    isQueueReceived,
    isQueueRequested,
    isWebsocketReconnected,
} from 'actions';
import deliveriesReducer from 'deliveries/reducer';
import type {DeliveriesState} from 'deliveries/reducer';
import type {InboxSettings, LeadView} from 'types';

export type QueueState = {

    // The open queue (handoff open or claimed), as lead ids into InboxState.leads.
    ids: readonly string[];
    loading: boolean;

    // The server's sentence when the last fetch failed, and its HTTP status (403: not in
    // the operator pool; 0: the server was not reached).
    error: string | null;
    errorStatus: number | null;

    // Local time of the last successful fetch; null until the first one.
    loadedAt: number | null;
    settings: InboxSettings | null;

    // Server clock minus local clock, from the last queue fetch. Countdowns add it to
    // Date.now() so a client with a wrong clock still counts down to the server's times.
    clockSkew: number;
};

// Registered with registry.registerReducer, so it lives at state['plugins-<plugin id>'].
export type InboxState = {

    // Every lead the webapp has seen, closed ones included (a lead channel's header).
    leads: Readonly<Record<string, LeadView>>;

    // Channel id → lead id; null means the channel is known not to be a lead channel.
    // A channel missing here has not been asked about.
    channelLeads: Readonly<Record<string, string | null>>;
    queue: QueueState;

    // Views that show server data refetch when this changes: websocket events sent
    // while the connection was down are not replayed.
    lastReconnectAt: number | null;

    // Delivery state of replies (src/deliveries).
    deliveries: DeliveriesState;
};

export const initialQueueState: QueueState = {
    ids: [],
    loading: false,
    error: null,
    errorStatus: null,
    loadedAt: null,
    settings: null,
    clockSkew: 0,
};

export const initialState: InboxState = {
    leads: {},
    channelLeads: {},
    queue: initialQueueState,
    lastReconnectAt: null,
    deliveries: deliveriesReducer(undefined, {type: '@@social-inbox/init'}),
};

function isOpen(lead: LeadView): boolean {
    return lead.handoff.state !== 'closed';
}

// A view fetched earlier may arrive later than a newer one (a queue fetch crossing a
// lead_updated refetch): keep the newer. Equal versions take the incoming one, whose
// `send` was decided later.
function newer(existing: LeadView | undefined, incoming: LeadView): boolean {
    return !existing || incoming.updated_at >= existing.updated_at;
}

function storeLead(state: InboxState, lead: LeadView): InboxState {
    if (!lead?.id || !newer(state.leads[lead.id], lead)) {
        return state;
    }
    const leads = {...state.leads, [lead.id]: lead};
    const channelLeads = lead.channel_id && state.channelLeads[lead.channel_id] !== lead.id ? {...state.channelLeads, [lead.channel_id]: lead.id} : state.channelLeads;
    const queued = state.queue.ids.includes(lead.id);
    let ids = state.queue.ids;
    if (isOpen(lead) && !queued) {
        ids = [...ids, lead.id];
    } else if (!isOpen(lead) && queued) {
        ids = ids.filter((id) => id !== lead.id);
    }
    const queue = ids === state.queue.ids ? state.queue : {...state.queue, ids};
    return {...state, leads, channelLeads, queue};
}

function removeLead(state: InboxState, leadId: string): InboxState {
    const existing = state.leads[leadId];
    if (!existing && !state.queue.ids.includes(leadId)) {
        return state;
    }
    const leads = {...state.leads};
    delete leads[leadId];
    let channelLeads = state.channelLeads;
    if (existing?.channel_id && channelLeads[existing.channel_id] === leadId) {
        const next = {...channelLeads};
        delete next[existing.channel_id];
        channelLeads = next;
    }
    return {
        ...state,
        leads,
        channelLeads,
        queue: {...state.queue, ids: state.queue.ids.filter((id) => id !== leadId)},
    };
}

function receiveQueue(state: InboxState, fetched: readonly LeadView[], settings: InboxSettings, serverNow: number, localNow: number): InboxState {
    const leads = {...state.leads};
    const channelLeads = {...state.channelLeads};
    const ids = new Set<string>();
    for (const lead of fetched) {
        if (!lead?.id) {
            continue;
        }
        if (newer(leads[lead.id], lead)) {
            leads[lead.id] = lead;
            if (lead.channel_id) {
                channelLeads[lead.channel_id] = lead.id;
            }
        }
        if (isOpen(leads[lead.id])) {
            ids.add(lead.id);
        }
    }

    // A lead that changed after the server built this list (a lead_updated refetch that
    // overtook the list) stays as that newer view says.
    for (const id of state.queue.ids) {
        const lead = leads[id];
        if (lead && isOpen(lead) && lead.updated_at > serverNow) {
            ids.add(id);
        }
    }
    return {
        ...state,
        leads,
        channelLeads,
        queue: {
            ids: [...ids],
            loading: false,
            error: null,
            errorStatus: null,
            loadedAt: localNow,
            settings: settings ?? state.queue.settings,
            clockSkew: serverNow ? serverNow - localNow : state.queue.clockSkew,
        },
    };
}

function inboxReducer(state: InboxState, action: {type: string}): InboxState {
    if (isQueueRequested(action)) {
        return {...state, queue: {...state.queue, loading: true}};
    }
    if (isQueueReceived(action)) {
        return receiveQueue(state, action.leads, action.settings, action.serverNow, action.localNow);
    }
    if (isQueueFailed(action)) {
        return {...state, queue: {...state.queue, loading: false, error: action.message, errorStatus: action.status}};
    }
    if (isLeadReceived(action)) {
        return storeLead(state, action.lead);
    }
    if (isLeadRemoved(action)) {
        return removeLead(state, action.leadId);
    }
    if (isChannelNotLead(action)) {
        if (state.channelLeads[action.channelId] === null) {
            return state;
        }
        return {...state, channelLeads: {...state.channelLeads, [action.channelId]: null}};
    }
    if (isWebsocketReconnected(action)) {
        return {...state, lastReconnectAt: action.reconnectedAt};
    }
    return state;
}

export default function reducer(state: InboxState = initialState, action: {type: string}): InboxState {
    const inbox = inboxReducer(state, action);
    const deliveries = deliveriesReducer(inbox.deliveries, action);
    if (deliveries === inbox.deliveries) {
        return inbox;
    }
    return {...inbox, deliveries};
}
