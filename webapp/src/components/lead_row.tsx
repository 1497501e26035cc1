import React from 'react';
import type {CSSProperties, MouseEvent} from 'react';

import {t} from 'i18n';
import {formatAgo, ownerText} from 'inbox/format';
import {leadChannelURL, openLeadChannel} from 'inbox/navigation';
import {windowPhase} from 'inbox/risk';
import type {InboxSettings, LeadView} from 'types';

import LeadAvatar from './lead_avatar';
import PlatformIcon from './platform_icon';
import {errorText, mutedText, primaryButton, visuallyHidden} from './styles';
import WindowCountdown from './window_countdown';

// The result of the last action on this row, shown under it.
export type RowNotice = {message: string; ok: boolean};

type Props = {
    lead: LeadView;
    now: number;
    settings: InboxSettings;
    currentUserId: string;
    siteURL: string;
    claimPending: boolean;
    notice?: RowNotice;
    onClaim: (lead: LeadView) => void;
};

const styles = {
    row: {
        display: 'flex',
        flexWrap: 'wrap',
        alignItems: 'flex-start',
        gap: '8px',
        padding: '10px 12px',
        borderBottom: '1px solid rgba(var(--center-channel-color-rgb), 0.08)',
        listStyle: 'none',
    },
    link: {
        display: 'flex',
        flex: '1 1 0',
        minWidth: 0,
        gap: '10px',
        color: 'var(--center-channel-color)',
        textDecoration: 'none',
        borderRadius: '4px',
    },
    body: {flex: '1 1 0', minWidth: 0},
    line: {
        display: 'flex',
        alignItems: 'center',
        gap: '6px',
        fontSize: '12px',
        lineHeight: '18px',
    },
    name: {
        overflow: 'hidden',
        textOverflow: 'ellipsis',
        whiteSpace: 'nowrap',
        fontSize: '14px',
        fontWeight: 600,
    },
    excerpt: {
        overflow: 'hidden',
        textOverflow: 'ellipsis',
        whiteSpace: 'nowrap',
        margin: '2px 0',
        fontSize: '13px',
        lineHeight: '18px',
        ...mutedText,
    },
    notice: {
        flexBasis: '100%',
        margin: 0,
        fontSize: '12px',
        lineHeight: '16px',
    },
} satisfies Record<string, CSSProperties>;

// One lead of the queue. The row is a link to the lead's channel; the Claim button sits
// beside it (a button inside a link is not allowed) and shows only for a lead that is
// unclaimed and not under review.
export default function LeadRow({lead, now, settings, currentUserId, siteURL, claimPending, notice, onClaim}: Props) {
    const name = lead.contact.name || lead.contact.username || t('inbox.row.unknown_contact');
    const lastCustomerAt = lead.window.last_customer_at;
    const claimable = lead.handoff.state === 'open' && !lead.handoff.under_review;

    const open = (e: MouseEvent<HTMLAnchorElement>) => {
        // Let the browser handle new-tab and new-window clicks.
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
            return;
        }
        e.preventDefault();
        openLeadChannel(lead, siteURL);
    };

    return (
        <li
            data-testid='lead-row'
            data-lead-id={lead.id}
            style={styles.row}
        >
            <a
                href={leadChannelURL(lead, siteURL)}
                onClick={open}
                style={styles.link}
            >
                <LeadAvatar contact={lead.contact}/>
                <span style={styles.body}>
                    <span style={styles.line}>
                        <PlatformIcon platform={lead.platform}/>
                        <span style={styles.name}>{name}</span>
                        {lastCustomerAt ? (
                            <span
                                style={{marginLeft: 'auto', whiteSpace: 'nowrap', ...mutedText}}
                                title={new Date(lastCustomerAt).toLocaleString()}
                            >
                                <span style={visuallyHidden}>{t('inbox.row.last_message')}</span>
                                {formatAgo(lastCustomerAt, now)}
                            </span>
                        ) : null}
                    </span>
                    <span
                        style={{...styles.excerpt, display: 'block'}}
                        title={lead.last_excerpt || undefined}
                    >
                        {lead.last_excerpt || t('inbox.row.no_excerpt')}
                    </span>
                    <span style={styles.line}>
                        <span style={visuallyHidden}>{t('inbox.row.window')}</span>
                        <WindowCountdown
                            phase={windowPhase(lead, now)}
                            now={now}
                            settings={settings}
                        />
                        <span aria-hidden='true'>{'·'}</span>
                        <span style={mutedText}>{ownerText(lead, currentUserId)}</span>
                        {lead.handoff.under_review ? (
                            <>
                                <span aria-hidden='true'>{'·'}</span>
                                <span style={errorText}>{t('inbox.row.under_review')}</span>
                            </>
                        ) : null}
                    </span>
                </span>
            </a>
            {claimable ? (
                <button
                    type='button'
                    style={{...primaryButton, opacity: claimPending ? 0.64 : 1}}
                    disabled={claimPending}
                    aria-label={t('inbox.row.claim_label', {name})}
                    onClick={() => onClaim(lead)}
                >
                    {claimPending ? t('inbox.row.claiming') : t('inbox.row.claim')}
                </button>
            ) : null}
            {notice ? (
                <p
                    role='status'
                    style={{...styles.notice, ...(notice.ok ? mutedText : errorText)}}
                >
                    {notice.message}
                </p>
            ) : null}
        </li>
    );
}
