import {Client4} from 'mattermost-redux/client';
import {getCurrentUserId} from 'mattermost-redux/selectors/entities/common';
import {getUserByUsername, isCurrentUserSystemAdmin} from 'mattermost-redux/selectors/entities/users';
import React, {useEffect, useRef, useState} from 'react';
import type {CSSProperties, FormEvent, ReactNode, RefObject} from 'react';
import {useDispatch, useSelector, useStore} from 'react-redux';

import type {GlobalState} from '@mattermost/types/store';

import {leadAction} from 'actions';
import {useId} from 'hooks/use_id';
import {formatParts, t} from 'i18n';
import type {MessageId} from 'i18n';
import {formatAgo, platformLabel} from 'inbox/format';
import {windowPhase} from 'inbox/risk';
import type {WindowPhase} from 'inbox/risk';
import client from 'client';
import type {InboxSettings, LeadAction, LeadView, Operator} from 'types';

import LeadAvatar from './lead_avatar';
import PlatformIcon from './platform_icon';
import {button, errorText, input, mutedText, primaryButton} from './styles';
import WindowCountdown from './window_countdown';

type Props = {
    lead: LeadView;
    now: number;
    settings: InboxSettings;
};

const styles = {
    header: {
        padding: '12px 16px',
        borderBottom: '1px solid rgba(var(--center-channel-color-rgb), 0.16)',
        background: 'rgba(var(--center-channel-color-rgb), 0.04)',
        color: 'var(--center-channel-color)',
    },
    top: {display: 'flex', alignItems: 'center', gap: '10px'},
    name: {margin: 0, fontSize: '16px', fontWeight: 600, lineHeight: '22px'},
    line: {margin: '6px 0 0', fontSize: '13px', lineHeight: '18px'},
    actions: {display: 'flex', flexWrap: 'wrap', gap: '6px', marginTop: '10px'},
    form: {display: 'flex', flexWrap: 'wrap', alignItems: 'flex-end', gap: '6px', marginTop: '8px'},
    label: {display: 'flex', flexDirection: 'column', gap: '2px', fontSize: '12px', fontWeight: 600},
    status: {margin: '8px 0 0', fontSize: '12px', lineHeight: '16px'},
} satisfies Record<string, CSSProperties>;

// Interpolates React nodes into a message without building HTML.
function Message({id, values}: {id: MessageId; values: Record<string, ReactNode>}) {
    return (
        <>
            {formatParts<ReactNode>(id, values).map((part, i) => (
                // The parts of a message never reorder, so their position is a stable key.
                <React.Fragment key={i}>{part}</React.Fragment>
            ))}
        </>
    );
}

function SourceLine({lead}: {lead: LeadView}) {
    const {source} = lead;
    switch (source.kind) {
    case 'comment':
        if (source.permalink) {
            return (
                <a
                    href={source.permalink}
                    target='_blank'
                    rel='noopener noreferrer'
                    style={{color: 'var(--link-color)'}}
                >
                    {t('lead_header.source.comment')}
                </a>
            );
        }
        return <>{t('lead_header.source.comment')}</>;
    case 'ad':
        if (source.ad_title || source.ad_id) {
            return <>{t('lead_header.source.ad', {title: source.ad_title || source.ad_id || ''})}</>;
        }
        return <>{t('lead_header.source.ad_unknown')}</>;
    case 'link':
        return <>{source.ref ? t('lead_header.source.link', {ref: source.ref}) : t('lead_header.source.link_unknown')}</>;
    case 'dm':
    default:
        return <>{t('lead_header.source.dm', {platform: platformLabel(lead.platform)})}</>;
    }
}

function HandoffLine({lead, currentUserId}: {lead: LeadView; currentUserId: string}) {
    const {state, owner_id: ownerId, owner_username: ownerUsername} = lead.handoff;
    if (state === 'closed') {
        return <>{t('lead_header.handoff.closed')}</>;
    }
    if (state === 'claimed') {
        if (ownerId && ownerId === currentUserId) {
            return <>{t('lead_header.handoff.claimed_by_you')}</>;
        }
        return <>{t('lead_header.handoff.claimed', {username: ownerUsername || ownerId || '?'})}</>;
    }
    return <>{t('lead_header.handoff.open')}</>;
}

const windowMessages: Record<Exclude<WindowPhase['kind'], 'closed'>, MessageId> = {
    standard: 'lead_header.window.standard',
    human_agent: 'lead_header.window.human_agent',
    private_reply: 'lead_header.window.private_reply',
};

function WindowLine({lead, now, settings}: Props) {
    const phase = windowPhase(lead, now);
    if (phase.kind === 'closed') {
        return (
            <span
                data-testid='window-countdown'
                data-level='expired'
                style={errorText}
            >
                {phase.closedAt ? t('lead_header.window.closed_at', {ago: formatAgo(phase.closedAt, now)}) : t('lead_header.window.closed')}
            </span>
        );
    }
    return (
        <Message
            id={windowMessages[phase.kind]}
            values={{
                countdown: (
                    <WindowCountdown
                        phase={phase}
                        now={now}
                        settings={settings}
                    />
                ),
            }}
        />
    );
}

function SendLine({lead}: {lead: LeadView}) {
    switch (lead.send.mode) {
    case 'response':
        return <>{t('lead_header.send.response')}</>;
    case 'human_agent':
        return <>{t('lead_header.send.human_agent')}</>;
    case 'private_reply':
        return <>{t('lead_header.send.private_reply')}</>;
    case 'blocked':
    default:
        return (
            <span style={errorText}>
                {t('lead_header.send.blocked', {reason: lead.send.reason || t('composer.blocked.no_reason')})}
            </span>
        );
    }
}

// The server takes a review reason of at most 500 characters.
const REVIEW_REASON_MAX = 500;

type Form = 'transfer' | 'review' | null;
type Outcome = {message: string; ok: boolean} | null;

// The lead of the current channel: who the buyer is and where they came from, who holds
// the lead, Meta's reply window counting down, what sending a message will do (the
// server's decision), and the handoff actions that fit the lead's state and the user.
type InlineFormProps = {
    formLabel: string;
    fieldLabel: string;
    submitLabel: string;
    inputId: string;
    inputRef: RefObject<HTMLInputElement>;
    value: string;
    placeholder?: string;
    maxLength?: number;

    // Offered as the field's suggestions (a datalist: native, keyboard accessible).
    suggestions?: Operator[];
    pending: boolean;
    onChange: (value: string) => void;
    onSubmit: (e: FormEvent) => void;
    onCancel: () => void;
};

// A one-field form under the action buttons (Transfer's username, Review's reason);
// Escape or Cancel closes it.
function InlineForm(props: InlineFormProps) {
    const listId = `${props.inputId}-suggestions`;
    const suggestions = props.suggestions ?? [];
    return (
        <form
            style={styles.form}
            onSubmit={props.onSubmit}
            aria-label={props.formLabel}
        >
            <label
                htmlFor={props.inputId}
                style={styles.label}
            >
                {props.fieldLabel}
                <input
                    id={props.inputId}
                    ref={props.inputRef}
                    style={input}
                    value={props.value}
                    placeholder={props.placeholder}
                    maxLength={props.maxLength}
                    list={suggestions.length > 0 ? listId : undefined}
                    autoComplete='off'
                    onChange={(e) => props.onChange(e.target.value)}
                    onKeyDown={(e) => {
                        if (e.key === 'Escape') {
                            props.onCancel();
                        }
                    }}
                />
            </label>
            {suggestions.length > 0 ? (
                <datalist id={listId}>
                    {suggestions.map((o) => (
                        <option
                            key={o.username}
                            value={o.username}
                        >
                            {o.name}
                        </option>
                    ))}
                </datalist>
            ) : null}
            <button
                type='submit'
                style={primaryButton}
                disabled={props.pending}
            >
                {props.submitLabel}
            </button>
            <button
                type='button'
                style={button}
                onClick={props.onCancel}
            >
                {t('lead_header.form.cancel')}
            </button>
        </form>
    );
}

export default function LeadHeader({lead, now, settings}: Props) {
    const dispatch = useDispatch();
    const store = useStore<GlobalState>();
    const currentUserId = useSelector(getCurrentUserId);
    const isAdmin = useSelector(isCurrentUserSystemAdmin);
    const [pending, setPending] = useState(false);
    const [form, setForm] = useState<Form>(null);
    const [outcome, setOutcome] = useState<Outcome>(null);
    const [username, setUsername] = useState('');
    const [reason, setReason] = useState('');
    const nameId = useId('lead-name');
    const inputId = useId('lead-form-input');
    const inputRef = useRef<HTMLInputElement>(null);
    const [operators, setOperators] = useState<Operator[] | null>(null);
    const transferButtonRef = useRef<HTMLButtonElement>(null);
    const reviewButtonRef = useRef<HTMLButtonElement>(null);

    // The form belongs to the lead it was opened for.
    useEffect(() => {
        setForm(null);
        setOutcome(null);
    }, [lead.id]);

    useEffect(() => {
        if (form) {
            inputRef.current?.focus();
        }
    }, [form]);

    const {state, owner_id: ownerId, under_review: underReview} = lead.handoff;
    const isOwner = state === 'claimed' && Boolean(ownerId) && ownerId === currentUserId;
    const mayManage = isOwner || isAdmin;
    const show = {
        claim: state === 'open',
        release: state === 'claimed' && mayManage,

        // An unclaimed lead may be closed or handed over by any operator; a claimed one
        // by its owner or an admin.
        close: state === 'open' || (state === 'claimed' && mayManage),
        transfer: state === 'open' || (state === 'claimed' && mayManage),
        review: state !== 'closed' && !underReview,

        // A review is a second pair of eyes: not the owner's to clear, unless an admin.
        clearReview: underReview && (!isOwner || isAdmin),
        reopen: state === 'closed',
    };

    const closeForm = (returnFocusTo: Form) => {
        setForm(null);
        const target = returnFocusTo === 'transfer' ? transferButtonRef : reviewButtonRef;
        setTimeout(() => target.current?.focus(), 0);
    };

    const run = async (action: LeadAction, body: {reason?: string; to_user_id?: string} = {}) => {
        setPending(true);
        setOutcome(null);
        const result = await leadAction(dispatch, lead.id, action, body);
        setPending(false);
        setOutcome({message: result.message, ok: result.ok});
        return result.ok;
    };

    const submitTransfer = async (e: FormEvent) => {
        e.preventDefault();
        const name = username.trim().replace(/^@/, '');
        if (!name) {
            setOutcome({message: t('lead_header.transfer.empty'), ok: false});
            return;
        }
        setPending(true);
        setOutcome(null);
        let userId = getUserByUsername(store.getState(), name)?.id;
        if (!userId) {
            try {
                userId = (await Client4.getUserByUsername(name))?.id;
            } catch (err) {
                const status = (err as {status_code?: number})?.status_code;
                setPending(false);
                setOutcome({
                    message: status === 404 ? t('lead_header.transfer.no_user', {username: name}) : t('lead_header.transfer.lookup_failed', {username: name}),
                    ok: false,
                });
                return;
            }
        }
        if (!userId) {
            setPending(false);
            setOutcome({message: t('lead_header.transfer.no_user', {username: name}), ok: false});
            return;
        }
        if (await run('transfer', {to_user_id: userId})) {
            setUsername('');
            setForm(null);
        }
    };

    const submitReview = async (e: FormEvent) => {
        e.preventDefault();
        const why = reason.trim();
        if (await run('review', why ? {reason: why} : {})) {
            setReason('');
            setForm(null);
        }
    };

    const actionButton = (action: LeadAction, label: MessageId, primary = false) => (
        <button
            type='button'
            style={primary ? primaryButton : button}
            disabled={pending}
            onClick={() => run(action)}
        >
            {t(label)}
        </button>
    );

    const toggleForm = (which: Exclude<Form, null>) => {
        setOutcome(null);
        setForm(form === which ? null : which);
        if (which === 'transfer' && form !== 'transfer' && operators === null) {
            // Suggestions only: without them the operator types the username.
            client.listOperators().then(setOperators, () => setOperators([]));
        }
    };

    return (
        <section
            data-testid='lead-header'
            aria-labelledby={nameId}
            style={styles.header}
        >
            <div style={styles.top}>
                <LeadAvatar
                    contact={lead.contact}
                    size={40}
                />
                <div style={{minWidth: 0}}>
                    <h3
                        id={nameId}
                        style={styles.name}
                    >
                        {lead.contact.profile_url ? (
                            <a
                                href={lead.contact.profile_url}
                                target='_blank'
                                rel='noopener noreferrer'
                                style={{color: 'inherit'}}
                            >
                                {lead.contact.name || lead.contact.username || t('inbox.row.unknown_contact')}
                            </a>
                        ) : (lead.contact.name || lead.contact.username || t('inbox.row.unknown_contact'))}
                    </h3>
                    <div style={{...styles.line, margin: 0, display: 'flex', alignItems: 'center', gap: '6px', ...mutedText}}>
                        {lead.contact.username ? <span>{`@${lead.contact.username}`}</span> : null}
                        <PlatformIcon platform={lead.platform}/>
                        <span aria-hidden='true'>{platformLabel(lead.platform)}</span>
                    </div>
                </div>
            </div>
            <p style={styles.line}>
                <SourceLine lead={lead}/>
            </p>
            <p style={styles.line}>
                <HandoffLine
                    lead={lead}
                    currentUserId={currentUserId}
                />
            </p>
            {underReview ? (
                <p style={{...styles.line, ...errorText}}>
                    {lead.handoff.review_reason ? t('lead_header.review.under_review_reason', {reason: lead.handoff.review_reason}) : t('lead_header.review.under_review')}
                </p>
            ) : null}
            <p style={styles.line}>
                <WindowLine
                    lead={lead}
                    now={now}
                    settings={settings}
                />
            </p>
            <p style={styles.line}>
                <SendLine lead={lead}/>
            </p>
            <div
                role='group'
                aria-label={t('lead_header.actions.label')}
                style={styles.actions}
            >
                {show.claim ? actionButton('claim', 'lead_header.actions.claim', true) : null}
                {show.release ? actionButton('release', 'lead_header.actions.release') : null}
                {show.transfer ? (
                    <button
                        ref={transferButtonRef}
                        type='button'
                        style={button}
                        disabled={pending}
                        aria-expanded={form === 'transfer'}
                        onClick={() => toggleForm('transfer')}
                    >
                        {t('lead_header.actions.transfer')}
                    </button>
                ) : null}
                {show.close ? actionButton('close', 'lead_header.actions.close') : null}
                {show.review ? (
                    <button
                        ref={reviewButtonRef}
                        type='button'
                        style={button}
                        disabled={pending}
                        aria-expanded={form === 'review'}
                        onClick={() => toggleForm('review')}
                    >
                        {t('lead_header.actions.review')}
                    </button>
                ) : null}
                {show.clearReview ? actionButton('clear-review', 'lead_header.actions.clear_review') : null}
                {show.reopen ? actionButton('reopen', 'lead_header.actions.reopen', true) : null}
            </div>
            {form === 'transfer' ? (
                <InlineForm
                    formLabel={t('lead_header.transfer.form')}
                    fieldLabel={t('lead_header.transfer.label')}
                    submitLabel={t('lead_header.transfer.submit')}
                    inputId={inputId}
                    inputRef={inputRef}
                    value={username}
                    placeholder={t('lead_header.transfer.placeholder')}
                    suggestions={operators ?? []}
                    pending={pending}
                    onChange={setUsername}
                    onSubmit={submitTransfer}
                    onCancel={() => closeForm('transfer')}
                />
            ) : null}
            {form === 'review' ? (
                <InlineForm
                    formLabel={t('lead_header.review.form')}
                    fieldLabel={t('lead_header.review.label')}
                    submitLabel={t('lead_header.review.submit')}
                    inputId={inputId}
                    inputRef={inputRef}
                    value={reason}
                    maxLength={REVIEW_REASON_MAX}
                    pending={pending}
                    onChange={setReason}
                    onSubmit={submitReview}
                    onCancel={() => closeForm('review')}
                />
            ) : null}
            <p
                role='status'
                aria-live='polite'
                style={{...styles.status, ...(outcome?.ok === false ? errorText : mutedText)}}
            >
                {outcome?.message ?? ''}
            </p>
        </section>
    );
}
