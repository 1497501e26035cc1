// Words for times and platforms, through the i18n catalogue.

import {t} from 'i18n';
import type {MessageId} from 'i18n';
import type {LeadView, Platform} from 'types';

import {DAY, HOUR, MINUTE} from './risk';
import type {WindowPhase} from './risk';

// A span as at most two units, rounded down: "3d 4h", "3h 12m", "45m", "<1m".
export function formatDuration(ms: number): string {
    const span = Math.max(0, ms);
    const days = Math.floor(span / DAY);
    const hours = Math.floor((span % DAY) / HOUR);
    const minutes = Math.floor((span % HOUR) / MINUTE);
    if (days > 0) {
        return hours > 0 ? t('inbox.duration.days_hours', {days, hours}) : t('inbox.duration.days', {days});
    }
    if (hours > 0) {
        return minutes > 0 ? t('inbox.duration.hours_minutes', {hours, minutes}) : t('inbox.duration.hours', {hours});
    }
    if (minutes > 0) {
        return t('inbox.duration.minutes', {minutes});
    }
    return t('inbox.duration.under_a_minute');
}

// Time left until `until`: "3h 12m left", "45m left".
export function formatLeft(until: number, now: number): string {
    return t('inbox.time.left', {duration: formatDuration(until - now)});
}

// How long ago `then` was, in its largest unit: "just now", "5m ago", "3h ago", "2d ago".
export function formatAgo(then: number, now: number): string {
    const span = Math.max(0, now - then);
    if (span < MINUTE) {
        return t('inbox.time.just_now');
    }
    let duration: string;
    if (span >= DAY) {
        duration = t('inbox.duration.days', {days: Math.floor(span / DAY)});
    } else if (span >= HOUR) {
        duration = t('inbox.duration.hours', {hours: Math.floor(span / HOUR)});
    } else {
        duration = t('inbox.duration.minutes', {minutes: Math.floor(span / MINUTE)});
    }
    return t('inbox.time.ago', {duration});
}

// The countdown of a reply window: "5h 10m left" while open, "closed 2h ago" after.
export function formatCountdown(phase: WindowPhase, now: number): string {
    if (phase.kind !== 'closed') {
        return formatLeft(phase.until, now);
    }
    if (phase.closedAt) {
        return t('inbox.time.closed', {ago: formatAgo(phase.closedAt, now)});
    }
    return t('inbox.time.closed_never');
}

const platformLabels: Record<Platform, MessageId> = {
    facebook: 'inbox.platform.facebook',
    instagram: 'inbox.platform.instagram',
};

// "Messenger" or "Instagram"; an unknown platform shows as sent by the server.
export function platformLabel(platform: Platform): string {
    const id = platformLabels[platform];
    return id ? t(id) : String(platform);
}

// Up to two initials of a name, for an avatar without a picture.
export function initials(name: string): string {
    const words = name.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) {
        return '?';
    }
    const letters = words.length === 1 ? [words[0]] : [words[0], words[words.length - 1]];
    return letters.map((w) => Array.from(w)[0]?.toUpperCase() ?? '').join('');
}

// ownerText names who holds a lead: "You" for the current user, else @username.
export function ownerText(lead: LeadView, currentUserId: string): string {
    const {state, owner_id: ownerId, owner_username: ownerUsername} = lead.handoff;
    if (state === 'closed') {
        return t('inbox.row.closed');
    }
    if (state !== 'claimed') {
        return t('inbox.row.unclaimed');
    }
    if (ownerId && ownerId === currentUserId) {
        return t('inbox.row.owner_you');
    }
    return t('inbox.row.owner', {username: ownerUsername || ownerId || '?'});
}
