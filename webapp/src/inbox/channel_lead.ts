import {fetchChannelLead} from 'actions';
import type {Dispatch, GetState} from 'actions';
import {getLeadByChannel} from 'selectors';

// Refreshes a channel's lead unless the channel is known not to be a lead channel (a
// channel never becomes one: lead channels are created with a new id). Failures are
// swallowed: the view keeps what it had, and the next channel switch or reconnect asks
// again.
export async function refreshChannelLead(dispatch: Dispatch, getState: GetState, channelId: string): Promise<void> {
    if (!channelId || getLeadByChannel(getState(), channelId) === null) {
        return;
    }
    try {
        await fetchChannelLead(dispatch, channelId);
    } catch {
        // Kept as it was.
    }
}
