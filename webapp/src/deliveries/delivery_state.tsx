import React, {useEffect, useRef, useState} from 'react';
import type {CSSProperties} from 'react';
import {useSelector, useStore} from 'react-redux';

import type {GlobalState} from '@mattermost/types/store';

import client, {ApiError} from 'client';
import {t} from 'i18n';
import type {Delivery, DeliveryState as DeliveryStateName} from 'types';
import type {PluginStore} from 'types/mattermost-webapp';

import {deliveriesReceived} from './actions';
import {requestDelivery} from './loader';
import {getDelivery, getDeliveryRevision, isDeliveryCandidate, isDeliveryNotFound} from './selectors';

// Props the host passes to a registerPostMessageAttachmentComponent component, which it
// renders under every post. The host re-measures the post (for "Show more") only when
// onHeightChange gets a height above 0.
export type DeliveryStateProps = {
    postId: string;
    onHeightChange?: (height: number) => void;
};

type Tone = 'muted' | 'success' | 'error';

// Colours come from the theme variables Mattermost sets on the page, so the line follows
// light and dark themes. The text always says the state; colour and icon only repeat it.
const toneColor: Record<Tone, string> = {
    muted: 'rgba(var(--center-channel-color-rgb), 0.64)',
    success: 'var(--online-indicator)',
    error: 'var(--error-text)',
};

const styles = {
    line: {
        display: 'flex',
        flexWrap: 'wrap',
        alignItems: 'center',
        gap: '4px 8px',
        marginTop: '4px',
        fontSize: '12px',
        lineHeight: '16px',
    },
    status: {
        display: 'inline-flex',
        alignItems: 'center',
        gap: '4px',
    },
    icon: {
        flex: 'none',
        width: '12px',
        height: '12px',
    },
    retry: {
        padding: '0 4px',
        border: 'none',
        borderRadius: '4px',
        background: 'none',
        color: 'var(--button-bg)',
        font: 'inherit',
        fontWeight: 600,
        cursor: 'pointer',
    },
    retryDisabled: {
        cursor: 'default',
        opacity: 0.64,
    },
    notice: {
        color: 'rgba(var(--center-channel-color-rgb), 0.72)',
    },
} satisfies Record<string, CSSProperties>;

// 12 px icons drawn with currentColor, hidden from assistive technology: the text next
// to them already says the same.
const iconPaths: Record<Exclude<DeliveryStateName, 'canceled'>, string> = {
    sent: 'M4.6 8.6 2.2 6.2 1.2 7.2l3.4 3.4 6.2-6.2-1-1z',
    failed: 'M6 1a5 5 0 1 0 0 10A5 5 0 0 0 6 1zm.6 7.6H5.4V7.4h1.2zm0-2.2H5.4V3.4h1.2z',
    pending: 'M6 1a5 5 0 1 0 0 10A5 5 0 0 0 6 1zm0 8.8A3.8 3.8 0 1 1 6 2.2a3.8 3.8 0 0 1 0 7.6zM6.6 3.4H5.4v3l2.4 1.5.6-1-1.8-1.1z',
    unknown: 'M6 1a5 5 0 1 0 0 10A5 5 0 0 0 6 1zm0 8.8A3.8 3.8 0 1 1 6 2.2a3.8 3.8 0 0 1 0 7.6zM6.6 3.4H5.4v3l2.4 1.5.6-1-1.8-1.1z',
};

function StateIcon({state}: {state: DeliveryStateName}) {
    if (!Object.hasOwn(iconPaths, state)) {
        return null;
    }
    return (
        <svg
            aria-hidden='true'
            focusable='false'
            viewBox='0 0 12 12'
            style={styles.icon}
        >
            <path
                fill='currentColor'
                d={iconPaths[state as keyof typeof iconPaths]}
            />
        </svg>
    );
}

// The time of the next try, in the reader's locale; the date is added when it is not today.
export function formatRetryTime(at: number, now: number): string {
    const date = new Date(at);
    const sameDay = date.toDateString() === new Date(now).toDateString();
    const options: Intl.DateTimeFormatOptions = sameDay ? {hour: '2-digit', minute: '2-digit'} : {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit'};
    return date.toLocaleString(undefined, options);
}

// What the line says for a delivery, or null for a state this version does not know.
export function describeDelivery(delivery: Delivery, now: number): {text: string; tone: Tone} | null {
    switch (delivery.state) {
    case 'pending': {
        // A past next_at means the try is under way; its outcome comes as an event.
        if (delivery.next_at && delivery.next_at > now) {
            const time = formatRetryTime(delivery.next_at, now);
            const text = delivery.attempts > 0 ? t('delivery.pending_retry', {attempt: delivery.attempts, time}) : t('delivery.pending_queued', {time});
            return {text, tone: 'muted'};
        }
        return {text: t('delivery.pending'), tone: 'muted'};
    }
    case 'unknown':
        return {text: t('delivery.unknown'), tone: 'muted'};
    case 'sent':
        return {text: t('delivery.sent'), tone: 'success'};
    case 'failed':
        return {
            text: delivery.error ? t('delivery.failed', {error: delivery.error}) : t('delivery.failed_no_reason'),
            tone: 'error',
        };
    case 'canceled':
        return {text: t('delivery.canceled'), tone: 'muted'};
    default:
        return null;
    }
}

// The answer to the last Retry click. It is shown while the delivery is still in the
// state the answer left it in, so "Sending again." goes away once the reply is sent.
type Notice = {
    text: string;
    isError: boolean;
    forState: DeliveryStateName;
};

function retryErrorText(err: unknown): string {
    if (err instanceof ApiError) {
        return err.status === 409 ? t('delivery.retry.still_blocked', {error: err.message}) : err.message;
    }
    return t('delivery.retry.failed');
}

type DeliveryLineProps = {
    delivery: Delivery;
    onHeightChange?: (height: number) => void;
};

function DeliveryLine({delivery, onHeightChange}: DeliveryLineProps) {
    const store = useStore<GlobalState>() as unknown as PluginStore;
    const [retrying, setRetrying] = useState(false);
    const [notice, setNotice] = useState<Notice | null>(null);

    // The host may pass a new onHeightChange on every render; only changes of the line
    // itself should make it measure the post again.
    const heightChanged = useRef(onHeightChange);
    heightChanged.current = onHeightChange;
    const line = useRef<HTMLDivElement>(null);

    const mounted = useRef(true);
    useEffect(() => {
        mounted.current = true;
        return () => {
            mounted.current = false;
        };
    }, []);

    const description = describeDelivery(delivery, Date.now());
    const canRetry = delivery.state === 'failed' && delivery.retryable;
    const noticeText = notice && notice.forState === delivery.state ? notice.text : '';

    useEffect(() => {
        if (line.current && heightChanged.current) {
            heightChanged.current(line.current.getBoundingClientRect().height);
        }
    }, [description?.text, canRetry, retrying, noticeText]);

    if (!description) {
        return null;
    }

    const postId = delivery.post_id;
    const retry = async () => {
        setRetrying(true);
        setNotice(null);
        const revisions = {[postId]: getDeliveryRevision(store.getState(), postId)};
        let next: Notice;
        try {
            const result = await client.retryDelivery(postId);
            if (result.delivery) {
                store.dispatch(deliveriesReceived({[postId]: result.delivery}, [postId], revisions));
            }
            next = {
                text: result.message || t('delivery.retry.sent'),
                isError: false,
                forState: result.delivery?.state ?? delivery.state,
            };
        } catch (err) {
            next = {text: retryErrorText(err), isError: true, forState: delivery.state};
        }
        if (mounted.current) {
            setNotice(next);
            setRetrying(false);
        }
    };

    return (
        <div
            ref={line}
            className='social-inbox-delivery'
            title={t('delivery.title')}
            style={styles.line}
        >
            <span style={{...styles.status, color: toneColor[description.tone]}}>
                <StateIcon state={delivery.state}/>
                <span>{description.text}</span>
            </span>
            {canRetry && (
                <button
                    type='button'
                    onClick={retry}
                    disabled={retrying}
                    style={retrying ? {...styles.retry, ...styles.retryDisabled} : styles.retry}
                >
                    {retrying ? t('delivery.retry.in_flight') : t('delivery.retry.button')}
                </button>
            )}

            {/* Always rendered, so screen readers announce the answer when it arrives. */}
            <span
                role='status'
                aria-live='polite'
                style={notice?.isError ? {color: toneColor.error} : styles.notice}
            >
                {noticeText}
            </span>
        </div>
    );
}

// Delivery state of an operator's reply, under the post: sending, sent, or why it was not
// delivered with a Retry button. The host renders it under every post, so for any post
// that is not a reply in a known lead channel it reads the store and renders nothing.
export default function DeliveryState({postId, onHeightChange}: DeliveryStateProps) {
    const store = useStore<GlobalState>() as unknown as PluginStore;
    const candidate = useSelector((state: GlobalState) => isDeliveryCandidate(state, postId));
    const delivery = useSelector((state: GlobalState) => (candidate ? getDelivery(state, postId) : undefined));
    const notFound = useSelector((state: GlobalState) => candidate && isDeliveryNotFound(state, postId));
    const known = delivery !== undefined;

    useEffect(() => {
        if (candidate && !known && !notFound) {
            requestDelivery(store, postId);
        }
    }, [store, postId, candidate, known, notFound]);

    if (!delivery) {
        return null;
    }
    return (
        <DeliveryLine
            delivery={delivery}
            onHeightChange={onHeightChange}
        />
    );
}
