import {getCurrentUserId} from 'mattermost-redux/selectors/entities/common';

import type {GlobalState} from '@mattermost/types/store';

import {DEFAULT_SETTINGS, countTabs} from 'inbox/risk';
import type {QueueCounts} from 'inbox/risk';
import manifest from 'manifest';
import {initialState} from 'reducer';
import type {InboxState, QueueState} from 'reducer';
import type {InboxSettings, LeadView} from 'types';

export const pluginStateKey = `plugins-${manifest.id}`;

export function getInboxState(state: GlobalState): InboxState {
    const pluginState = (state as GlobalState & Record<string, InboxState | undefined>)[pluginStateKey];
    return pluginState ?? initialState;
}

export function getLead(state: GlobalState, leadId: string): LeadView | undefined {
    return getInboxState(state).leads[leadId];
}

// The lead that owns a channel: the lead, null when the channel is known not to be a
// lead channel, undefined when it has not been asked about yet.
export function getLeadByChannel(state: GlobalState, channelId: string): LeadView | null | undefined {
    const inbox = getInboxState(state);
    if (!channelId || !Object.hasOwn(inbox.channelLeads, channelId)) {
        return undefined;
    }
    const leadId = inbox.channelLeads[channelId];
    if (leadId === null) {
        return null;
    }
    return inbox.leads[leadId];
}

export function getQueue(state: GlobalState): QueueState {
    return getInboxState(state).queue;
}

export function getSettings(state: GlobalState): InboxSettings {
    return getQueue(state).settings ?? DEFAULT_SETTINGS;
}

export function getClockSkew(state: GlobalState): number {
    return getQueue(state).clockSkew;
}

export function getLastReconnectAt(state: GlobalState): number | null {
    return getInboxState(state).lastReconnectAt;
}

// The queue's leads in the order they were received; the same array while neither the
// queue nor the leads change, so components can select it directly.
let lastIds: readonly string[] | null = null;
let lastLeads: InboxState['leads'] | null = null;
let lastQueueLeads: LeadView[] = [];

export function getQueueLeads(state: GlobalState): LeadView[] {
    const {queue, leads} = getInboxState(state);
    if (queue.ids !== lastIds || leads !== lastLeads) {
        lastIds = queue.ids;
        lastLeads = leads;
        lastQueueLeads = queue.ids.map((id) => leads[id]).filter((lead): lead is LeadView => Boolean(lead));
    }
    return lastQueueLeads;
}

// How many queued leads each inbox tab holds at `now` (server time).
export function getQueueCounts(state: GlobalState, now: number): QueueCounts {
    return countTabs(getQueueLeads(state), now, getSettings(state), getCurrentUserId(state));
}
