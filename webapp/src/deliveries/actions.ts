import manifest from 'manifest';

import type {Delivery, DeliveryUpdatedEvent} from 'types';

// The host store is shared by every plugin, so action types carry the plugin id.
export const DELIVERIES_RECEIVED = `${manifest.id}/deliveries/received`;
export const DELIVERY_UPDATED = `${manifest.id}/deliveries/updated`;
export const DELIVERIES_RECONNECTED = `${manifest.id}/deliveries/reconnected`;

// How many live events have been applied to each post, at the moment a request was sent.
// A response that crossed a delivery_updated event on the wire may describe the outbox
// before that event, so the reducer keeps the event for those posts.
export type LiveRevisions = Readonly<Record<string, number>>;

export type DeliveriesReceivedAction = {
    type: typeof DELIVERIES_RECEIVED;
    deliveries: Readonly<Record<string, Delivery>>;

    // Every post id the request asked about; those missing from `deliveries` are not
    // replies in the outbox and are not asked about again.
    askedIds: readonly string[];
    revisions: LiveRevisions;
};

export type DeliveryUpdatedAction = {
    type: typeof DELIVERY_UPDATED;
    event: DeliveryUpdatedEvent;
};

export type DeliveriesReconnectedAction = {
    type: typeof DELIVERIES_RECONNECTED;
};

export type DeliveriesAction = DeliveriesReceivedAction | DeliveryUpdatedAction | DeliveriesReconnectedAction;

export function deliveriesReceived(
    deliveries: Readonly<Record<string, Delivery>>,
    askedIds: readonly string[],
    revisions: LiveRevisions = {},
): DeliveriesReceivedAction {
    return {type: DELIVERIES_RECEIVED, deliveries, askedIds, revisions};
}

export function deliveryUpdated(event: DeliveryUpdatedEvent): DeliveryUpdatedAction {
    return {type: DELIVERY_UPDATED, event};
}

// Events published while the websocket was down are lost: forget which posts the server
// said it had no delivery for, so the components showing them ask again.
export function deliveriesReconnected(): DeliveriesReconnectedAction {
    return {type: DELIVERIES_RECONNECTED};
}

export function isDeliveriesReceived(action: {type: string}): action is DeliveriesReceivedAction {
    return action.type === DELIVERIES_RECEIVED;
}

export function isDeliveryUpdated(action: {type: string}): action is DeliveryUpdatedAction {
    return action.type === DELIVERY_UPDATED;
}

export function isDeliveriesReconnected(action: {type: string}): action is DeliveriesReconnectedAction {
    return action.type === DELIVERIES_RECONNECTED;
}
