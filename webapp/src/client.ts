import {Client4} from 'mattermost-redux/client';

import manifest from 'manifest';

import type {
    ConnectionInfo,
    ConnectionReport,
    Delivery,
    DeliveryRetryResult,
    LeadAction,
    LeadActionResult,
    LeadList,
    LeadView,
    Operator,
} from 'types';

// ApiError carries the server's sentence for the person ({"error": "…"}) and, for a 409,
// the lead as it is now, so the view can update without another request.
export class ApiError extends Error {
    readonly status: number;
    readonly lead?: LeadView;

    constructor(message: string, status: number, lead?: LeadView) {
        super(message);
        this.name = 'ApiError';
        this.status = status;
        this.lead = lead;
    }
}

type ErrorBody = {error?: string; lead?: LeadView};

// Client of the plugin's REST API (docs/inbox-api.md). Requests go through
// Client4.getOptions so they carry the CSRF token and X-Requested-With header, without
// which the server treats them as unauthenticated.
export class Client {
    private base = '';

    // The site URL may include a subpath (https://host/mattermost); an empty one keeps
    // requests relative to the page, which is right when Mattermost is served at /.
    setSiteURL(siteURL: string): void {
        this.base = `${siteURL.replace(/\/+$/, '')}/plugins/${manifest.id}/api/v1`;
    }

    get url(): string {
        return this.base || `/plugins/${manifest.id}/api/v1`;
    }

    listLeads(): Promise<LeadList> {
        return this.request('GET', '/leads');
    }

    getLead(leadId: string): Promise<LeadView> {
        return this.request('GET', `/leads/${encodeURIComponent(leadId)}`);
    }

    // Resolves to null when the channel is not a lead channel.
    async getChannelLead(channelId: string): Promise<LeadView | null> {
        try {
            return await this.request<LeadView>('GET', `/channels/${encodeURIComponent(channelId)}/lead`);
        } catch (err) {
            if (err instanceof ApiError && err.status === 404) {
                return null;
            }
            throw err;
        }
    }

    leadAction(leadId: string, action: LeadAction, body: {reason?: string; to_user_id?: string} = {}): Promise<LeadActionResult> {
        return this.request('POST', `/leads/${encodeURIComponent(leadId)}/actions/${action}`, body);
    }

    async getDeliveries(postIds: readonly string[]): Promise<Record<string, Delivery>> {
        if (postIds.length === 0) {
            return {};
        }
        const query = postIds.map((id) => `post_id=${encodeURIComponent(id)}`).join('&');
        const res = await this.request<{deliveries: Record<string, Delivery>}>('GET', `/deliveries?${query}`);
        return res.deliveries ?? {};
    }

    retryDelivery(postId: string): Promise<DeliveryRetryResult> {
        return this.request('POST', `/deliveries/${encodeURIComponent(postId)}/retry`);
    }

    // The operator pool, for choosing whom to transfer a lead to. Empty for callers
    // outside the pool.
    async listOperators(): Promise<Operator[]> {
        const items = await this.request<Array<{item?: string; helptext?: string}> | null>('GET', '/autocomplete/operators');
        return (items ?? []).
            filter((i) => i.item).
            map((i) => ({username: (i.item as string).replace(/^@/, ''), name: i.helptext ?? ''}));
    }

    getConnection(): Promise<ConnectionInfo> {
        return this.request('GET', '/connection');
    }

    checkConnection(): Promise<ConnectionReport> {
        return this.request('POST', '/connection/check');
    }

    private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
        const options = Client4.getOptions({method, body: body === undefined ? undefined : JSON.stringify(body)});
        let res: Response;
        try {
            res = await fetch(this.url + path, options);
        } catch {
            throw new ApiError('The Mattermost server could not be reached. Check your connection and try again.', 0);
        }
        const text = await res.text();
        let data: unknown = null;
        if (text) {
            try {
                data = JSON.parse(text);
            } catch {
                data = null;
            }
        }
        if (!res.ok) {
            const errBody = (data ?? {}) as ErrorBody;
            const message = errBody.error || text.trim() || `Request failed (${res.status}).`;
            throw new ApiError(message, res.status, errBody.lead);
        }
        return data as T;
    }
}

// One client per page: the plugin's initialize sets the site URL.
const client = new Client();
export default client;
