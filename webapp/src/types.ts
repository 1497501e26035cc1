// Shapes of the plugin's REST API (docs/inbox-api.md). The server owns them; the webapp
// reads them as given. Times are Unix milliseconds; 0 or absent means never/none.

export type Platform = 'facebook' | 'instagram';
export type HandoffState = 'open' | 'claimed' | 'closed';
export type SendMode = 'response' | 'human_agent' | 'private_reply' | 'blocked';
export type SourceKind = 'dm' | 'comment' | 'ad' | 'link';

export type LeadContact = {
    name: string;
    username?: string;
    avatar_url?: string;
    profile_url?: string;
};

export type LeadSource = {
    kind: SourceKind;
    post_id?: string;
    comment_id?: string;
    permalink?: string;
    ad_id?: string;
    ad_title?: string;
    ref?: string;
};

export type LeadHandoff = {
    state: HandoffState;
    owner_id?: string;
    owner_username?: string;
    under_review: boolean;
    review_reason?: string;
    opened_at: number;
    claimed_at?: number;
    closed_at?: number;
};

export type LeadWindow = {
    last_customer_at?: number;
    last_reply_at?: number;
    standard_until?: number;
    human_agent_until?: number;
    private_reply_until?: number;
    human_agent_enabled: boolean;
};

// What a reply by the requesting user would do right now (the server's decision).
export type LeadSend = {
    mode: SendMode;
    reason?: string;
    until?: number;
};

export type LeadView = {
    id: string;
    channel_id: string;
    channel_name: string;
    team_name: string;
    platform: Platform;
    contact: LeadContact;
    source: LeadSource;
    handoff: LeadHandoff;
    window: LeadWindow;
    send: LeadSend;
    last_excerpt?: string;
    unanswered: boolean;
    first_response_at?: number;
    updated_at: number;
};

export type InboxSettings = {
    window_warning_minutes: number;
    unanswered_alert_minutes: number;
    human_agent_enabled: boolean;
};

export type LeadList = {
    leads: LeadView[];
    now: number;
    settings: InboxSettings;
};

export type LeadAction = 'claim' | 'release' | 'close' | 'reopen' | 'review' | 'clear-review' | 'transfer';

export type LeadActionResult = {
    lead: LeadView;
    message: string;
};

// A member of the operator pool (GET /autocomplete/operators).
export type Operator = {
    username: string;
    name: string;
};

export type DeliveryState = 'pending' | 'sent' | 'failed' | 'canceled' | 'unknown';

export type Delivery = {
    post_id: string;
    lead_id: string;
    state: DeliveryState;
    error?: string;
    retryable: boolean;
    attempts: number;
    next_at?: number;
    updated_at: number;
};

export type DeliveryRetryResult = {
    delivery: Delivery;
    message: string;
};

export type ConnectionInfo = {
    webhook_url: string;
    verify_token: string;
    site_url_set: boolean;
};

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export type ConnectionCheck = {
    id: string;
    label: string;
    status: CheckStatus;
    detail: string;
    fix?: string;
};

export type ConnectionReport = {
    ok: boolean;
    checked_at: number;
    checks: ConnectionCheck[];
};

// Websocket payloads (custom_social-inbox_<event>).
export type LeadUpdatedEvent = {
    lead_id: string;
    channel_id: string;
};

export type DeliveryUpdatedEvent = {
    post_id: string;
    lead_id: string;
    channel_id: string;
    state: DeliveryState;
    error?: string;
    retryable: boolean;

    // Sent by servers since the event carried them; absent from older ones.
    attempts?: number;
    next_at?: number;
    updated_at?: number;
};
