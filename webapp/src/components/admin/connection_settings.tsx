import React, {useCallback, useEffect, useRef, useState} from 'react';
import type {CSSProperties} from 'react';

import client, {ApiError} from 'client';
import {t} from 'i18n';
import type {MessageId} from 'i18n';
import type {CheckStatus, ConnectionCheck, ConnectionInfo, ConnectionReport} from 'types';
import type {AdminConsoleCustomSettingProps} from 'types/mattermost-webapp';

// System Console > Plugins > Social Inbox > Meta connection (plugin.json setting
// "ConnectionStatus", type custom). It shows what the admin pastes into Meta and runs
// the server's connection check (docs/inbox-api.md, /connection). The verify token is
// shown on purpose: Meta's webhook setup needs it. The App Secret and the Page token
// never reach the browser.

const COPIED_FOR_MS = 2500;

// Each status has its own symbol as well as its colour, and its name is written out
// beside it, so nothing depends on colour alone.
const statusLook: Record<CheckStatus, {symbol: string; colour: string; text: MessageId}> = {
    pass: {symbol: '✓', colour: 'var(--online-indicator)', text: 'admin.connection.status.pass'},
    fail: {symbol: '✕', colour: 'var(--error-text)', text: 'admin.connection.status.fail'},
    warn: {symbol: '!', colour: 'var(--away-indicator)', text: 'admin.connection.status.warn'},
    skip: {symbol: '–', colour: 'rgba(var(--center-channel-color-rgb), 0.48)', text: 'admin.connection.status.skip'},
};

// Colours come from the theme variables Mattermost sets on the page, so the setting
// follows light and dark themes. Indicator colours are too light for text on a light
// theme, so they only paint the status badges; text keeps the theme's text colours.
const styles = {
    root: {color: 'var(--center-channel-color)', fontSize: '14px', lineHeight: '20px'},
    muted: {margin: '0 0 12px', color: 'rgba(var(--center-channel-color-rgb), 0.72)'},
    field: {marginBottom: '12px'},
    label: {display: 'block', marginBottom: '4px', fontWeight: 600},
    row: {display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: '8px'},
    value: {flex: '1 1 320px', minWidth: 0, fontFamily: 'monospace'},
    copied: {fontSize: '12px', fontWeight: 600, color: 'var(--center-channel-color)'},
    warning: {
        margin: '0 0 12px',
        padding: '8px 12px',
        borderLeft: '4px solid var(--away-indicator)',
        borderRadius: '4px',
        background: 'rgba(var(--away-indicator-rgb), 0.16)',
    },
    error: {margin: '8px 0', color: 'var(--error-text)'},
    actions: {display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: '12px', margin: '16px 0 8px'},
    list: {listStyle: 'none', margin: '8px 0 0', padding: 0},
    item: {
        display: 'flex',
        gap: '10px',
        padding: '10px 0',
        borderTop: '1px solid rgba(var(--center-channel-color-rgb), 0.12)',
    },
    badge: {
        flex: '0 0 auto',
        width: '20px',
        height: '20px',
        borderRadius: '50%',
        color: 'var(--center-channel-bg)',
        fontSize: '12px',
        fontWeight: 700,
        lineHeight: '20px',
        textAlign: 'center',
    },
    heading: {margin: 0, fontSize: '14px', fontWeight: 600},
    statusText: {marginLeft: '8px', fontWeight: 400, color: 'rgba(var(--center-channel-color-rgb), 0.72)'},
    detail: {margin: '2px 0 0'},
    fix: {margin: '4px 0 0'},
    summary: {margin: '8px 0 0', fontWeight: 600},
} satisfies Record<string, CSSProperties>;

// Keyboard focus stays visible whatever the host's stylesheet does to outlines.
const SCOPE = 'social-inbox-connection';
const focusCSS = `.${SCOPE} button:focus-visible, .${SCOPE} input:focus-visible {outline: 2px solid var(--button-bg); outline-offset: 2px;}`;

// React.useId would do, but React comes from the host page and Mattermost 10.x still
// ships React 17 (min_server_version is 10.11), so ids come from a counter.
let lastId = 0;
function useIdPrefix(): string {
    const [id] = useState(() => `${SCOPE}-${++lastId}`);
    return id;
}

function errorSentence(err: unknown): string {
    if (err instanceof ApiError || err instanceof Error) {
        return err.message;
    }
    return String(err);
}

// Writes text to the clipboard: the Clipboard API where the page may use it, else the
// older copy command on a temporary text area (a masked input cannot be copied from).
async function copyText(text: string): Promise<boolean> {
    try {
        if (navigator.clipboard?.writeText) {
            await navigator.clipboard.writeText(text);
            return true;
        }
    } catch {
        // Denied (e.g. not a secure context): try the fallback.
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    try {
        return typeof document.execCommand === 'function' && document.execCommand('copy');
    } catch {
        return false;
    } finally {
        document.body.removeChild(area);
    }
}

type CopyTarget = 'url' | 'token';
type CopyState = {target: CopyTarget; ok: boolean} | null;

type Props = Partial<AdminConsoleCustomSettingProps>;

export default function ConnectionSettings({helpText}: Props) {
    const idPrefix = useIdPrefix();
    const ids = {
        url: `${idPrefix}-url`,
        token: `${idPrefix}-token`,
        note: `${idPrefix}-note`,
        results: `${idPrefix}-results`,
    };

    const [info, setInfo] = useState<ConnectionInfo | null>(null);
    const [loadError, setLoadError] = useState<string | null>(null);
    const [showToken, setShowToken] = useState(false);
    const [copied, setCopied] = useState<CopyState>(null);
    const [checking, setChecking] = useState(false);
    const [report, setReport] = useState<ConnectionReport | null>(null);
    const [checkError, setCheckError] = useState<string | null>(null);

    // The admin may leave the page while a request runs: no state updates after that.
    const mounted = useRef(true);
    const copiedTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
    useEffect(() => {
        mounted.current = true;
        return () => {
            mounted.current = false;
            clearTimeout(copiedTimer.current);
        };
    }, []);

    useEffect(() => {
        client.getConnection().then(
            (got) => mounted.current && setInfo(got),
            (err: unknown) => mounted.current && setLoadError(errorSentence(err)),
        );
    }, []);

    const copy = useCallback(async (target: CopyTarget, text: string) => {
        const ok = await copyText(text);
        if (!mounted.current) {
            return;
        }
        setCopied({target, ok});
        clearTimeout(copiedTimer.current);
        copiedTimer.current = setTimeout(() => mounted.current && setCopied(null), COPIED_FOR_MS);
    }, []);

    // Disabling the focused button while the check runs drops keyboard focus to the page;
    // it is given back when the button is enabled again, unless the admin moved on.
    const testButton = useRef<HTMLButtonElement>(null);
    const refocus = useRef(false);
    useEffect(() => {
        if (!checking && refocus.current) {
            refocus.current = false;
            if (!document.activeElement || document.activeElement === document.body) {
                testButton.current?.focus();
            }
        }
    }, [checking]);

    const runCheck = useCallback(async () => {
        refocus.current = document.activeElement === testButton.current;
        setChecking(true);
        setCheckError(null);
        setReport(null);
        try {
            const got = await client.checkConnection();
            if (mounted.current) {
                setReport(got);
            }
        } catch (err) {
            if (mounted.current) {
                setCheckError(errorSentence(err));
            }
        } finally {
            if (mounted.current) {
                setChecking(false);
            }
        }
    }, []);

    const copyFeedback = (target: CopyTarget) => {
        if (copied?.target !== target) {
            return null;
        }
        return copied.ok ? t('admin.connection.copied') : t('admin.connection.copy_failed');
    };

    return (
        <div
            className={SCOPE}
            style={styles.root}
        >
            <style>{focusCSS}</style>
            <p style={styles.muted}>{t('admin.connection.intro')}</p>

            {loadError && (
                <p
                    role='alert'
                    style={styles.error}
                >
                    {t('admin.connection.load_failed', {error: loadError})}
                </p>
            )}
            {!info && !loadError && <p style={styles.muted}>{t('admin.connection.loading')}</p>}

            {info && (
                <>
                    {!info.site_url_set && (
                        <p style={styles.warning}>
                            <span aria-hidden='true'>{'⚠ '}</span>
                            {t('admin.connection.site_url_missing')}
                        </p>
                    )}
                    <div style={styles.field}>
                        <label
                            htmlFor={ids.url}
                            style={styles.label}
                        >
                            {t('admin.connection.webhook_url')}
                        </label>
                        <div style={styles.row}>
                            <input
                                id={ids.url}
                                className='form-control'
                                style={styles.value}
                                type='text'
                                readOnly={true}
                                value={info.webhook_url}
                                onFocus={(e) => e.currentTarget.select()}
                            />
                            <button
                                type='button'
                                className='btn btn-tertiary'
                                aria-label={t('admin.connection.copy_url')}
                                onClick={() => copy('url', info.webhook_url)}
                            >
                                {t('admin.connection.copy')}
                            </button>
                            <span
                                role='status'
                                style={styles.copied}
                            >
                                {copyFeedback('url')}
                            </span>
                        </div>
                    </div>
                    <div style={styles.field}>
                        <label
                            htmlFor={ids.token}
                            style={styles.label}
                        >
                            {t('admin.connection.verify_token')}
                        </label>
                        <div style={styles.row}>
                            <input
                                id={ids.token}
                                className='form-control'
                                style={styles.value}
                                type={showToken ? 'text' : 'password'}
                                readOnly={true}
                                autoComplete='off'
                                value={info.verify_token}
                            />
                            <button
                                type='button'
                                className='btn btn-tertiary'
                                aria-controls={ids.token}
                                aria-label={showToken ? t('admin.connection.hide_token') : t('admin.connection.show_token')}
                                onClick={() => setShowToken((shown) => !shown)}
                            >
                                {showToken ? t('admin.connection.hide') : t('admin.connection.show')}
                            </button>
                            <button
                                type='button'
                                className='btn btn-tertiary'
                                aria-label={t('admin.connection.copy_token')}
                                onClick={() => copy('token', info.verify_token)}
                            >
                                {t('admin.connection.copy')}
                            </button>
                            <span
                                role='status'
                                style={styles.copied}
                            >
                                {copyFeedback('token')}
                            </span>
                        </div>
                    </div>
                </>
            )}

            <div style={styles.actions}>
                <button
                    ref={testButton}
                    type='button'
                    className='btn btn-primary'
                    onClick={runCheck}
                    disabled={checking}
                    aria-describedby={ids.note}
                >
                    {checking ? t('admin.connection.testing') : t('admin.connection.test')}
                </button>
                <span
                    id={ids.note}
                    style={styles.muted}
                >
                    {t('admin.connection.save_first')}
                </span>
            </div>

            <section
                id={ids.results}
                aria-label={t('admin.connection.results')}
                aria-live='polite'
                aria-busy={checking}
            >
                {checkError && (
                    <p style={styles.error}>{t('admin.connection.check_failed', {error: checkError})}</p>
                )}
                {report && <Results report={report}/>}
            </section>

            {helpText && <div className='help-text'>{helpText}</div>}
        </div>
    );
}

function Results({report}: {report: ConnectionReport}) {
    const failed = report.checks.filter((c) => c.status === 'fail').length;
    const warned = report.checks.some((c) => c.status === 'warn');
    let summary = t('admin.connection.summary.ok');
    if (failed > 0) {
        summary = t('admin.connection.summary.failed', {count: failed, total: report.checks.length});
    } else if (warned) {
        summary = t('admin.connection.summary.warnings');
    }
    return (
        <>
            <p style={styles.summary}>
                {summary}{' '}
                <span style={styles.statusText}>
                    {t('admin.connection.checked_at', {time: new Date(report.checked_at).toLocaleString()})}
                </span>
            </p>
            <ul style={styles.list}>
                {report.checks.map((check) => (
                    <CheckItem
                        key={check.id}
                        check={check}
                    />
                ))}
            </ul>
        </>
    );
}

function CheckItem({check}: {check: ConnectionCheck}) {
    const look = statusLook[check.status] ?? statusLook.skip;
    return (
        <li
            style={styles.item}
            data-check={check.id}
            data-status={check.status}
        >
            <span
                aria-hidden='true'
                style={{...styles.badge, background: look.colour}}
            >
                {look.symbol}
            </span>
            <div>
                <h4 style={styles.heading}>
                    {check.label}{' '}
                    <span style={styles.statusText}>{t(look.text)}</span>
                </h4>
                <p style={styles.detail}>{check.detail}</p>
                {check.fix && (
                    <p style={styles.fix}>
                        <strong>{t('admin.connection.fix')}</strong>{' '}{check.fix}
                    </p>
                )}
            </div>
        </li>
    );
}
