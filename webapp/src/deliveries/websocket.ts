import manifest from 'manifest';

import type {DeliveryUpdatedEvent} from 'types';
import type {PluginStore, PluginWebSocketMessage} from 'types/mattermost-webapp';

import {deliveriesReconnected, deliveryUpdated} from './actions';
import {getDeliveryLoader} from './loader';
import {getDelivery, getUnsettledDeliveryIds} from './selectors';

// The server publishes "delivery_updated" to the lead channel on every change of a
// reply's outbox record; Mattermost prefixes plugin events with "custom_<plugin id>_".
export const DELIVERY_UPDATED_EVENT = `custom_${manifest.id}_delivery_updated`;

export function handleDeliveryUpdated(store: PluginStore) {
    return (msg: PluginWebSocketMessage<DeliveryUpdatedEvent>) => {
        const event = msg.data;
        if (typeof event?.post_id !== 'string' || !event.post_id) {
            return;
        }
        const before = getDelivery(store.getState(), event.post_id);
        store.dispatch(deliveryUpdated(event));

        // pending → pending means a try failed and the next one is scheduled. An event
        // from an older server carries neither the attempt count nor the time, so fetch
        // the record for them.
        if (event.state === 'pending' && before?.state === 'pending' && typeof event.attempts !== 'number') {
            getDeliveryLoader(store).refresh([event.post_id]);
        }
    };
}

// For the plugin's reconnect handler: events published while the websocket was down are
// lost, so refetch every shown delivery that can still change, the posts whose last
// request failed, and (through the components showing them) the posts that had none.
export function refetchKnownDeliveries(store: PluginStore): void {
    const loader = getDeliveryLoader(store);
    const ids = new Set([...getUnsettledDeliveryIds(store.getState()), ...loader.failedIds]);
    store.dispatch(deliveriesReconnected());
    loader.refresh(ids);
}
