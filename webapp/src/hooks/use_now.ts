import {useEffect, useState} from 'react';
import {useSelector} from 'react-redux';

import {getClockSkew} from 'selectors';

// The server's clock as best known here: Date.now() plus the skew measured on the last
// queue fetch. Re-renders the caller every intervalMs, so countdowns move on their own.
// Built on setInterval and useState: the host's React 17 has no useSyncExternalStore.
export function useNow(intervalMs = 1000): number {
    const skew = useSelector(getClockSkew);
    const [local, setLocal] = useState(() => Date.now());

    useEffect(() => {
        // The interval may start a while after the first render.
        setLocal(Date.now());
        const timer = setInterval(() => setLocal(Date.now()), intervalMs);
        return () => clearInterval(timer);
    }, [intervalMs]);

    return local + skew;
}
