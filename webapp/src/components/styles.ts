import type {CSSProperties} from 'react';

import type {CountdownLevel} from 'inbox/risk';

// Colours come from the theme variables Mattermost sets on the page, so every view
// follows the light and dark themes. Text keeps the theme's text colour (or its error
// colour) for contrast; the indicator colours, which are too light for text on a light
// theme, only paint dots and badges.

export const visuallyHidden: CSSProperties = {
    position: 'absolute',
    width: '1px',
    height: '1px',
    margin: '-1px',
    padding: 0,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    whiteSpace: 'nowrap',
    border: 0,
};

export const mutedText: CSSProperties = {
    color: 'rgba(var(--center-channel-color-rgb), 0.72)',
};

export const errorText: CSSProperties = {
    color: 'var(--error-text)',
};

export const button: CSSProperties = {
    padding: '4px 10px',
    border: '1px solid rgba(var(--center-channel-color-rgb), 0.24)',
    borderRadius: '4px',
    background: 'var(--center-channel-bg)',
    color: 'var(--center-channel-color)',
    fontSize: '12px',
    fontWeight: 600,
    lineHeight: '16px',
    cursor: 'pointer',
};

export const primaryButton: CSSProperties = {
    ...button,
    border: '1px solid var(--button-bg)',
    background: 'var(--button-bg)',
    color: 'var(--button-color)',
};

export const input: CSSProperties = {
    padding: '4px 8px',
    border: '1px solid rgba(var(--center-channel-color-rgb), 0.32)',
    borderRadius: '4px',
    background: 'var(--center-channel-bg)',
    color: 'var(--center-channel-color)',
    fontSize: '13px',
    lineHeight: '18px',
};

export const levelDot: Record<CountdownLevel, string> = {
    ok: 'var(--online-indicator)',
    warning: 'var(--away-indicator)',
    critical: 'var(--dnd-indicator)',
    expired: 'rgba(var(--center-channel-color-rgb), 0.48)',
};

export const levelText: Record<CountdownLevel, CSSProperties> = {
    ok: {},
    warning: {fontWeight: 600},
    critical: {fontWeight: 600, color: 'var(--error-text)'},
    expired: {color: 'var(--error-text)'},
};
