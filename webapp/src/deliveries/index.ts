// Delivery state of operator replies: the outbox record of each reply, fetched in batches
// for the posts on screen, kept live by delivery_updated, shown under each post.

export {
    DELIVERIES_RECEIVED,
    DELIVERIES_RECONNECTED,
    DELIVERY_UPDATED,
    deliveriesReceived,
    deliveriesReconnected,
    deliveryUpdated,
} from './actions';
export type {DeliveriesAction, DeliveriesReceivedAction, DeliveriesReconnectedAction, DeliveryUpdatedAction} from './actions';
export {default as DeliveryState} from './delivery_state';
export type {DeliveryStateProps} from './delivery_state';
export {BATCH_DELAY_MS, DeliveryLoader, MAX_IDS_PER_REQUEST, getDeliveryLoader, requestDelivery} from './loader';
export {default as deliveriesReducer, initialDeliveriesState} from './reducer';
export type {DeliveriesState} from './reducer';
export {
    getDeliveriesState,
    getDelivery,
    getDeliveryRevision,
    getUnsettledDeliveryIds,
    isDeliveryCandidate,
    isDeliveryNotFound,
    isLeadChannel,
} from './selectors';
export {DELIVERY_UPDATED_EVENT, handleDeliveryUpdated, refetchKnownDeliveries} from './websocket';
