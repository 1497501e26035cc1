import React from 'react';

import {formatCountdown} from 'inbox/format';
import {countdownLevel} from 'inbox/risk';
import type {WindowPhase} from 'inbox/risk';
import type {InboxSettings} from 'types';

import {levelDot, levelText} from './styles';

type Props = {
    phase: WindowPhase;
    now: number;
    settings: InboxSettings;
};

// "3h 12m left" with a dot whose colour says how close the end is (data-level: ok,
// warning, critical, expired); the words carry the same information.
export default function WindowCountdown({phase, now, settings}: Props) {
    const level = countdownLevel(phase.kind === 'closed' ? undefined : phase.until, now, settings);
    const until = phase.kind === 'closed' ? phase.closedAt : phase.until;
    return (
        <span
            data-testid='window-countdown'
            data-level={level}
            title={until ? new Date(until).toLocaleString() : undefined}
            style={{display: 'inline-flex', alignItems: 'center', gap: '4px', whiteSpace: 'nowrap', ...levelText[level]}}
        >
            <span
                aria-hidden='true'
                style={{width: '8px', height: '8px', borderRadius: '50%', flex: 'none', background: levelDot[level]}}
            />
            {formatCountdown(phase, now)}
        </span>
    );
}
