import {isLeadUpdated, isWebsocketReconnected} from 'actions';
import type {LeadUpdate} from 'actions';

// Registered with registry.registerReducer, so it lives at state['plugins-<plugin id>'].
export type InboxState = {
    lastLeadUpdate: LeadUpdate | null;

    // Views that show server data refetch when this changes: websocket events sent
    // while the connection was down are not replayed.
    lastReconnectAt: number | null;
};

export const initialState: InboxState = {
    lastLeadUpdate: null,
    lastReconnectAt: null,
};

export default function reducer(state: InboxState = initialState, action: {type: string}): InboxState {
    if (isLeadUpdated(action)) {
        return {...state, lastLeadUpdate: action.update};
    }
    if (isWebsocketReconnected(action)) {
        return {...state, lastReconnectAt: action.reconnectedAt};
    }
    return state;
}
