import client from 'client';
import type {PluginStore} from 'types/mattermost-webapp';

import {deliveriesReceived} from './actions';
import {getDelivery, getDeliveryRevision, isDeliveryNotFound} from './selectors';

// GET /deliveries answers at most this many post ids per call (docs/inbox-api.md).
export const MAX_IDS_PER_REQUEST = 100;

// A channel renders its posts over a few frames (and the thread view alongside), so asks
// are gathered for a moment and sent as one request instead of one per post.
export const BATCH_DELAY_MS = 50;

// Asks the server for the deliveries of the posts on screen, batched and without asking
// twice about the same post.
export class DeliveryLoader {
    private readonly store: PluginStore;
    private readonly delayMs: number;
    private readonly queued = new Set<string>();
    private readonly inFlight = new Set<string>();

    // Posts whose request failed: they are not "not found", only not known yet.
    private readonly failed = new Set<string>();
    private timer: ReturnType<typeof setTimeout> | null = null;
    private pending: Promise<void> = Promise.resolve();

    constructor(store: PluginStore, delayMs: number = BATCH_DELAY_MS) {
        this.store = store;
        this.delayMs = delayMs;
    }

    // Asks for a post's delivery unless it is known, known not to exist, or already asked.
    // A post whose last request failed is asked again.
    request(postId: string): void {
        const state = this.store.getState();
        if (!postId || getDelivery(state, postId) || isDeliveryNotFound(state, postId) ||
            this.queued.has(postId) || this.inFlight.has(postId)) {
            return;
        }
        this.enqueue(postId);
    }

    // Asks again about posts it may already know, e.g. after events were lost.
    refresh(postIds: Iterable<string>): void {
        for (const postId of postIds) {
            if (postId && !this.queued.has(postId)) {
                this.enqueue(postId);
            }
        }
    }

    get failedIds(): string[] {
        return [...this.failed];
    }

    // Sends what is queued now instead of waiting for the batch delay; resolves when
    // every request sent so far has been answered. For tests and for callers that wait.
    flush(): Promise<void> {
        if (this.timer !== null) {
            clearTimeout(this.timer);
            this.timer = null;
        }
        this.send();
        return this.pending;
    }

    private enqueue(postId: string): void {
        this.queued.add(postId);
        this.failed.delete(postId);
        if (this.timer === null) {
            this.timer = setTimeout(() => {
                this.timer = null;
                this.send();
            }, this.delayMs);
        }
    }

    private send(): void {
        const ids = [...this.queued];
        this.queued.clear();
        const requests: Array<Promise<void>> = [this.pending];
        for (let i = 0; i < ids.length; i += MAX_IDS_PER_REQUEST) {
            requests.push(this.fetch(ids.slice(i, i + MAX_IDS_PER_REQUEST)));
        }
        this.pending = Promise.all(requests).then(() => undefined);
    }

    private async fetch(ids: string[]): Promise<void> {
        const state = this.store.getState();
        const revisions: Record<string, number> = {};
        for (const id of ids) {
            this.inFlight.add(id);
            revisions[id] = getDeliveryRevision(state, id);
        }
        try {
            const deliveries = await client.getDeliveries(ids);
            this.store.dispatch(deliveriesReceived(deliveries, ids, revisions));
        } catch {
            // Not cached as "not found": the next ask, or the next reconnect, tries again.
            for (const id of ids) {
                this.failed.add(id);
            }
        } finally {
            for (const id of ids) {
                this.inFlight.delete(id);
            }
        }
    }
}

// One loader per store: the host store for the page, a fresh one for each test.
const loaders = new WeakMap<PluginStore, DeliveryLoader>();

export function getDeliveryLoader(store: PluginStore): DeliveryLoader {
    let loader = loaders.get(store);
    if (!loader) {
        loader = new DeliveryLoader(store);
        loaders.set(store, loader);
    }
    return loader;
}

export function requestDelivery(store: PluginStore, postId: string): void {
    getDeliveryLoader(store).request(postId);
}
