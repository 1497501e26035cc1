import React, {useEffect} from 'react';
import type {CSSProperties} from 'react';
import {shallowEqual, useDispatch, useSelector, useStore} from 'react-redux';

import type {GlobalState} from '@mattermost/types/store';

import {fetchQueue} from 'actions';
import {useNow} from 'hooks/use_now';
import {t} from 'i18n';
import {getQueue, getQueueCounts} from 'selectors';

const badge: CSSProperties = {
    minWidth: '16px',
    height: '16px',
    marginLeft: '4px',
    padding: '0 4px',
    borderRadius: '8px',
    fontSize: '11px',
    fontWeight: 700,
    lineHeight: '16px',
    textAlign: 'center',
    boxSizing: 'border-box',
};

// The inbox icon of the channel header, with the number of unclaimed leads and of leads
// at risk. The host renders it outside the sidebar, so it asks for the queue itself
// when nothing has fetched it yet. It inherits the header's text colour (currentColor).
export default function InboxIcon() {
    const dispatch = useDispatch();
    const store = useStore<GlobalState>();
    const now = useNow(30000);
    const {unclaimed, atRisk} = useSelector((state: GlobalState) => {
        const counts = getQueueCounts(state, now);
        return {unclaimed: counts.unclaimed, atRisk: counts.atRisk};
    }, shallowEqual);

    useEffect(() => {
        const queue = getQueue(store.getState());
        if (queue.loadedAt === null && !queue.loading && queue.error === null) {
            fetchQueue(dispatch);
        }
    }, [dispatch, store]);

    let label = t('channel_header.button.label');
    if (unclaimed > 0 || atRisk > 0) {
        label = t('channel_header.icon.counts', {unclaimed, atRisk});
    }

    return (
        <span
            role='img'
            aria-label={label}
            title={label}
            style={{display: 'inline-flex', alignItems: 'center'}}
        >
            <svg
                aria-hidden='true'
                focusable='false'
                width='16'
                height='16'
                viewBox='0 0 24 24'
                fill='currentColor'
            >
                <path d='M19 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2Zm0 12h-4a3 3 0 0 1-6 0H5V5h14v10Z'/>
            </svg>
            {unclaimed > 0 ? (
                <span
                    aria-hidden='true'
                    data-testid='badge-unclaimed'
                    style={{...badge, background: 'var(--button-bg)', color: 'var(--button-color)'}}
                >
                    {unclaimed}
                </span>
            ) : null}
            {atRisk > 0 ? (
                <span
                    aria-hidden='true'
                    data-testid='badge-at-risk'
                    style={{...badge, background: 'var(--error-text)', color: 'var(--center-channel-bg)'}}
                >
                    {atRisk}
                </span>
            ) : null}
        </span>
    );
}
