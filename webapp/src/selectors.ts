import type {GlobalState} from '@mattermost/types/store';

import manifest from 'manifest';

import {initialState} from 'reducer';
import type {InboxState} from 'reducer';

export const pluginStateKey = `plugins-${manifest.id}`;

export function getInboxState(state: GlobalState): InboxState {
    const pluginState = (state as GlobalState & Record<string, InboxState | undefined>)[pluginStateKey];
    return pluginState ?? initialState;
}

export function getLastLeadUpdate(state: GlobalState) {
    return getInboxState(state).lastLeadUpdate;
}

export function getLastReconnectAt(state: GlobalState) {
    return getInboxState(state).lastReconnectAt;
}
