import {getCurrentChannelId, getCurrentUserId} from 'mattermost-redux/selectors/entities/common';
import {getConfig} from 'mattermost-redux/selectors/entities/general';
import React, {useEffect, useMemo, useRef, useState} from 'react';
import type {CSSProperties, KeyboardEvent} from 'react';
import {useDispatch, useSelector} from 'react-redux';

import type {GlobalState} from '@mattermost/types/store';

import {fetchQueue, leadAction} from 'actions';
import {useChannelLead} from 'hooks/use_channel_lead';
import {useId} from 'hooks/use_id';
import {useNow} from 'hooks/use_now';
import {formatParts, t} from 'i18n';
import type {MessageId} from 'i18n';
import {INBOX_TABS, countTabs, inTab, sortByRisk} from 'inbox/risk';
import type {InboxTab} from 'inbox/risk';
import {getLastReconnectAt, getQueue, getQueueLeads, getSettings} from 'selectors';
import type {LeadView} from 'types';

import LeadHeader from './lead_header';
import LeadRow from './lead_row';
import type {RowNotice} from './lead_row';
import {button, errorText, mutedText, primaryButton, visuallyHidden} from './styles';

// Literal command text: the slash command is the same in every locale.
const HELP_COMMAND = '/social help';

const tabLabels: Record<InboxTab, MessageId> = {
    unclaimed: 'inbox.tab.unclaimed',
    mine: 'inbox.tab.mine',
    open: 'inbox.tab.open',
    at_risk: 'inbox.tab.at_risk',
};

const emptyMessages: Record<InboxTab, MessageId> = {
    unclaimed: 'inbox.empty.unclaimed',
    mine: 'inbox.empty.mine',
    open: 'inbox.empty.open',
    at_risk: 'inbox.empty.at_risk',
};

const countKeys = {unclaimed: 'unclaimed', mine: 'mine', open: 'open', at_risk: 'atRisk'} as const;

const styles = {
    panel: {
        display: 'flex',
        flexDirection: 'column',
        minHeight: '100%',
        color: 'var(--center-channel-color)',
        background: 'var(--center-channel-bg)',
    },
    tablist: {
        display: 'flex',
        gap: '2px',
        padding: '0 8px',
        borderBottom: '1px solid rgba(var(--center-channel-color-rgb), 0.16)',
        overflowX: 'auto',
    },
    tab: {
        padding: '8px 8px 6px',
        border: 'none',
        borderBottomWidth: '2px',
        borderBottomStyle: 'solid',
        borderBottomColor: 'transparent',
        background: 'none',
        color: 'rgba(var(--center-channel-color-rgb), 0.72)',
        fontSize: '13px',
        fontWeight: 600,
        whiteSpace: 'nowrap',
        cursor: 'pointer',
    },
    tabSelected: {
        borderBottomColor: 'var(--button-bg)',
        color: 'var(--center-channel-color)',
    },
    list: {margin: 0, padding: 0},
    state: {
        margin: 0,
        padding: '24px 16px',
        fontSize: '14px',
        lineHeight: '20px',
        textAlign: 'center',
    },
    help: {
        margin: 'auto 0 0',
        padding: '12px 16px',
        fontSize: '12px',
        lineHeight: '16px',
        ...mutedText,
    },
    command: {
        padding: '0 4px',
        borderRadius: '4px',
        color: 'var(--link-color)',
        backgroundColor: 'rgba(var(--center-channel-color-rgb), 0.08)',
    },
} satisfies Record<string, CSSProperties>;

type Notice = RowNotice & {leadId: string};

// Right-hand sidebar of the Social Inbox: the header of the current channel's lead when
// it is a lead channel, then the queue, sorted by risk, in four tabs. Live: the store
// follows lead_updated events, and a reconnect fetches the queue again.
export default function InboxPanel() {
    const dispatch = useDispatch();
    const queue = useSelector(getQueue);
    const leads = useSelector(getQueueLeads);
    const settings = useSelector(getSettings);
    const currentUserId = useSelector(getCurrentUserId);
    const channelId = useSelector(getCurrentChannelId);
    const siteURL = useSelector((state: GlobalState) => getConfig(state)?.SiteURL ?? '');
    const lastReconnectAt = useSelector(getLastReconnectAt);
    const now = useNow();
    const channelLead = useChannelLead(channelId, now);

    const [tab, setTab] = useState<InboxTab>('unclaimed');
    const [claiming, setClaiming] = useState<Readonly<Record<string, true>>>({});
    const [notice, setNotice] = useState<Notice | null>(null);
    const tabRefs = useRef<Partial<Record<InboxTab, HTMLButtonElement | null>>>({});
    const headingId = useId('inbox-heading');
    const tabIdPrefix = useId('inbox-tab');
    const panelId = useId('inbox-tabpanel');

    // On opening, and after a reconnect: events sent while disconnected are lost.
    useEffect(() => {
        fetchQueue(dispatch);
    }, [dispatch, lastReconnectAt]);

    const counts = useMemo(() => countTabs(leads, now, settings, currentUserId), [leads, now, settings, currentUserId]);
    const visible = useMemo(
        () => sortByRisk(leads.filter((lead) => inTab(tab, lead, now, settings, currentUserId)), now, settings),
        [leads, tab, now, settings, currentUserId],
    );

    const claim = async (lead: LeadView) => {
        setClaiming((c) => ({...c, [lead.id]: true}));
        setNotice(null);
        const result = await leadAction(dispatch, lead.id, 'claim');
        setClaiming((c) => {
            const next = {...c};
            delete next[lead.id];
            return next;
        });
        setNotice({leadId: lead.id, message: result.message, ok: result.ok});
    };

    const onTabKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
        const index = INBOX_TABS.indexOf(tab);
        let next: number | null = null;
        switch (e.key) {
        case 'ArrowRight':
            next = (index + 1) % INBOX_TABS.length;
            break;
        case 'ArrowLeft':
            next = (index - 1 + INBOX_TABS.length) % INBOX_TABS.length;
            break;
        case 'Home':
            next = 0;
            break;
        case 'End':
            next = INBOX_TABS.length - 1;
            break;
        }
        if (next === null) {
            return;
        }
        e.preventDefault();
        const target = INBOX_TABS[next];
        setTab(target);
        tabRefs.current[target]?.focus();
    };

    const retry = () => {
        fetchQueue(dispatch);
    };

    const loaded = queue.loadedAt !== null;
    const forbidden = queue.errorStatus === 403;
    const visibleIds = new Set(visible.map((lead) => lead.id));

    let content: React.ReactNode;
    if (forbidden) {
        content = (
            <div
                role='alert'
                style={styles.state}
            >
                <p style={{margin: '0 0 8px', fontWeight: 600}}>{t('inbox.forbidden.title')}</p>
                <p style={{margin: '0 0 8px'}}>{queue.error}</p>
                <p style={{margin: '0 0 12px', ...mutedText}}>{t('inbox.forbidden.help')}</p>
                <button
                    type='button'
                    style={button}
                    onClick={retry}
                    disabled={queue.loading}
                >
                    {t('inbox.retry')}
                </button>
            </div>
        );
    } else if (!loaded && queue.error === null) {
        content = (
            <p
                role='status'
                style={{...styles.state, ...mutedText}}
            >
                {t('inbox.loading')}
            </p>
        );
    } else {
        content = (
            <>
                {queue.error === null ? null : (
                    <div
                        role='alert'
                        style={{...styles.state, padding: '12px 16px'}}
                    >
                        <p style={{margin: '0 0 8px', ...errorText}}>
                            {loaded ? t('inbox.error.stale', {error: queue.error}) : queue.error}
                        </p>
                        <button
                            type='button'
                            style={primaryButton}
                            onClick={retry}
                            disabled={queue.loading}
                        >
                            {queue.loading ? t('inbox.retrying') : t('inbox.retry')}
                        </button>
                    </div>
                )}
                {notice && !visibleIds.has(notice.leadId) ? (
                    <p
                        role='status'
                        style={{margin: 0, padding: '8px 16px', fontSize: '12px', ...(notice.ok ? mutedText : errorText)}}
                    >
                        {notice.message}
                    </p>
                ) : null}
                {loaded && visible.length === 0 ? (
                    <p style={{...styles.state, ...mutedText}}>{t(emptyMessages[tab])}</p>
                ) : null}
                {visible.length > 0 ? (
                    <ul
                        style={styles.list}
                        aria-label={t('inbox.list.label', {tab: t(tabLabels[tab], {count: counts[countKeys[tab]]})})}
                    >
                        {visible.map((lead) => (
                            <LeadRow
                                key={lead.id}
                                lead={lead}
                                now={now}
                                settings={settings}
                                currentUserId={currentUserId}
                                siteURL={siteURL}
                                claimPending={Boolean(claiming[lead.id])}
                                notice={notice?.leadId === lead.id ? notice : undefined}
                                onClaim={claim}
                            />
                        ))}
                    </ul>
                ) : null}
            </>
        );
    }

    const help = formatParts('inbox_panel.help', {
        command: <code style={styles.command}>{HELP_COMMAND}</code>,
    });

    return (
        <section
            aria-labelledby={headingId}
            style={styles.panel}
        >
            {/* The sidebar's own title already shows "Social Inbox"; the heading names
                the region for assistive technology without repeating it on screen. */}
            <h2
                id={headingId}
                style={visuallyHidden}
            >
                {t('inbox_panel.heading')}
            </h2>
            {channelLead ? (
                <LeadHeader
                    lead={channelLead}
                    now={now}
                    settings={settings}
                />
            ) : null}
            <div
                role='tablist'
                aria-label={t('inbox.tabs.label')}
                style={styles.tablist}
            >
                {INBOX_TABS.map((id) => {
                    const selected = id === tab;
                    return (
                        <button
                            key={id}
                            ref={(el) => {
                                tabRefs.current[id] = el;
                            }}
                            id={`${tabIdPrefix}-${id}`}
                            type='button'
                            role='tab'
                            aria-selected={selected}
                            aria-controls={panelId}
                            tabIndex={selected ? 0 : -1}
                            style={selected ? {...styles.tab, ...styles.tabSelected} : styles.tab}
                            onClick={() => setTab(id)}
                            onKeyDown={onTabKeyDown}
                        >
                            {t(tabLabels[id], {count: counts[countKeys[id]]})}
                        </button>
                    );
                })}
            </div>
            <div
                id={panelId}
                role='tabpanel'
                tabIndex={0}
                aria-labelledby={`${tabIdPrefix}-${tab}`}
                aria-busy={queue.loading}
            >
                {content}
            </div>
            <p style={styles.help}>
                {help.map((part, i) => (
                    // The parts of a message never reorder, so their position is a stable key.
                    <React.Fragment key={i}>{part}</React.Fragment>
                ))}
            </p>
        </section>
    );
}
