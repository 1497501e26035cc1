import type {Delivery, DeliveryUpdatedEvent} from 'types';

import {isDeliveriesReceived, isDeliveriesReconnected, isDeliveryUpdated} from './actions';
import type {DeliveriesReceivedAction} from './actions';

// Delivery state of operator replies. The plugin reducer combines this slice as
// `deliveries`, so it lives at state['plugins-social-inbox'].deliveries.
export type DeliveriesState = {

    // The outbox record of each reply, by post id, as the server last described it.
    byPostId: Readonly<Record<string, Delivery>>;

    // Posts the server was asked about and has no delivery for (not a relayed reply).
    // They are not asked about again until a reconnect, when lost events may hide one.
    notFound: Readonly<Record<string, true>>;

    // How many delivery_updated events have been applied to each post. A fetch that was
    // in flight while an event arrived may carry the older record; see deliveriesReceived.
    revisions: Readonly<Record<string, number>>;
};

export const initialDeliveriesState: DeliveriesState = {
    byPostId: {},
    notFound: {},
    revisions: {},
};

function without<T>(map: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
    if (!Object.hasOwn(map, key)) {
        return map;
    }
    const next = {...map};
    delete next[key];
    return next;
}

// The event says what the state is now, but not the attempt count or the time of the
// next try, so those stay as they were, except next_at: it only describes the pending
// state the event may have replaced, and a stale retry time is worse than none.
function mergeEvent(existing: Delivery | undefined, event: DeliveryUpdatedEvent): Delivery {
    const merged: Delivery = {
        post_id: event.post_id,
        lead_id: event.lead_id || existing?.lead_id || '',
        state: event.state,
        retryable: event.retryable,
        attempts: typeof event.attempts === 'number' ? event.attempts : existing?.attempts ?? 0,
        updated_at: typeof event.updated_at === 'number' ? event.updated_at : existing?.updated_at ?? 0,
    };
    if (event.error) {
        merged.error = event.error;
    }

    // The retry time is only kept when the event says it; an older server's event
    // does not, and a stale time would be worse than none.
    if (typeof event.next_at === 'number' && event.next_at > 0) {
        merged.next_at = event.next_at;
    }
    return merged;
}

function receive(state: DeliveriesState, action: DeliveriesReceivedAction): DeliveriesState {
    const byPostId = {...state.byPostId};
    const notFound = {...state.notFound};
    const ids = new Set([...action.askedIds, ...Object.keys(action.deliveries)]);
    for (const id of ids) {
        // An event applied after the request left is at least as new as the answer.
        if ((state.revisions[id] ?? 0) !== (action.revisions[id] ?? 0)) {
            continue;
        }
        const delivery = action.deliveries[id];
        if (delivery) {
            byPostId[id] = delivery;
            delete notFound[id];
        } else {
            delete byPostId[id];
            notFound[id] = true;
        }
    }
    return {...state, byPostId, notFound};
}

export default function deliveriesReducer(state: DeliveriesState = initialDeliveriesState, action: {type: string}): DeliveriesState {
    if (isDeliveriesReceived(action)) {
        return receive(state, action);
    }
    if (isDeliveryUpdated(action)) {
        const {event} = action;
        if (!event?.post_id) {
            return state;
        }
        return {
            byPostId: {...state.byPostId, [event.post_id]: mergeEvent(state.byPostId[event.post_id], event)},
            notFound: without(state.notFound, event.post_id),
            revisions: {...state.revisions, [event.post_id]: (state.revisions[event.post_id] ?? 0) + 1},
        };
    }
    if (isDeliveriesReconnected(action)) {
        if (Object.keys(state.notFound).length === 0) {
            return state;
        }
        return {...state, notFound: {}};
    }
    return state;
}
