import {useState} from 'react';

// A stable id for aria attributes. React.useId would do, but the host page's React may
// be 17 (Mattermost 10.x), which has none.
let last = 0;

export function useId(prefix: string): string {
    const [id] = useState(() => `social-inbox-${prefix}-${++last}`);
    return id;
}
