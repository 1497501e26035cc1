import {useEffect, useRef} from 'react';
import {useDispatch, useSelector, useStore} from 'react-redux';

import type {GlobalState} from '@mattermost/types/store';

import {refreshLead} from 'actions';
import {refreshChannelLead} from 'inbox/channel_lead';
import {getLeadByChannel} from 'selectors';
import type {LeadView} from 'types';

// Longest timer a browser keeps (about 24.8 days); send.until is at most 7 days away.
const MAX_TIMER_MS = 0x7fffffff;

// A refetch a moment after the server's decision expires, so the next one is in place.
const AFTER_DEADLINE_MS = 1000;

// The lead of a channel from the store, fetched when the channel changes (unless the
// channel is known not to be a lead channel). When the server's decision about sending
// runs out (send.until), the lead is fetched again: the server decides what comes next,
// with the reason, and the webapp does not guess it.
export function useChannelLead(channelId: string | undefined, serverNow: number): LeadView | null | undefined {
    const dispatch = useDispatch();
    const store = useStore<GlobalState>();
    const lead = useSelector((state: GlobalState) => (channelId ? getLeadByChannel(state, channelId) : null));

    useEffect(() => {
        if (channelId) {
            refreshChannelLead(dispatch, store.getState, channelId);
        }
    }, [channelId, dispatch, store]);

    // The clock is read when the timer is set, not followed: the timer is set again only
    // when the lead or its deadline changes.
    const nowRef = useRef(serverNow);
    nowRef.current = serverNow;
    const leadId = lead?.id;
    const until = lead?.send.until;
    useEffect(() => {
        const remaining = until ? until - nowRef.current : 0;
        if (!leadId || remaining <= 0) {
            return undefined;
        }
        const timer = setTimeout(() => {
            refreshLead(dispatch, leadId);
        }, Math.min(remaining + AFTER_DEADLINE_MS, MAX_TIMER_MS));
        return () => clearTimeout(timer);
    }, [leadId, until, dispatch]);

    return lead;
}
