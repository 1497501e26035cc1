package store

import "fmt"

// Key prefixes. Every record kind has its own so that nothing collides with the keys
// the Mattermost cluster helpers write into the same namespace (mutex_, cron_, once_).
const (
	PrefixMessage      = "msg_"
	PrefixContact      = "con_"
	PrefixConversation = "cv_"
	PrefixLead         = "lead_"
	PrefixHandoff      = "ho_"
	PrefixAudit        = "aud_"
	PrefixChannel      = "chan_"
	PrefixPending      = "pend_"
	PrefixOpenIndex    = "idx_open_"
	KeyPendingIndex    = "idx_pend"
	KeyIntakeStats     = "stats_intake"
	KeyActionSecret    = "secret_actions"
	KeyArchiveIndex    = "idx_archive"
)

// OpenIndexShards splits the open-lead queue index so that concurrent new leads on
// several nodes rarely contend for the same key.
const OpenIndexShards = 8

// LeadID identifies a lead: one per customer per Page or Instagram account. PSIDs and
// IGSIDs are scoped to the account, so the account is part of the identity.
func LeadID(platform, accountID, customerID string) string {
	return Hash("lead", platform, accountID, customerID)[:32]
}

// MessageKey is the record of one native event (message, comment, postback, ...).
func MessageKey(platform, accountID, nativeID string) string {
	return PrefixMessage + Hash(platform, accountID, nativeID)
}

// ContactKey is the record of one customer.
func ContactKey(platform, accountID, customerID string) string {
	return PrefixContact + Hash(platform, accountID, customerID)
}

// ConversationKey is the conversation (thread) of a lead.
func ConversationKey(leadID string) string { return PrefixConversation + leadID }

// LeadKey is the sales record of a lead.
func LeadKey(leadID string) string { return PrefixLead + leadID }

// HandoffKey is the handoff (who works the lead) record.
func HandoffKey(leadID string) string { return PrefixHandoff + leadID }

// AuditKey is the head of a lead's audit trail.
func AuditKey(leadID string) string { return PrefixAudit + leadID }

// AuditChunkKey holds a full chunk of a lead's audit trail.
func AuditChunkKey(leadID string, chunk int) string {
	return fmt.Sprintf("%s%s_%d", PrefixAudit, leadID, chunk)
}

// ChannelKey maps a Mattermost channel to the lead it belongs to.
func ChannelKey(channelID string) string { return PrefixChannel + channelID }

// PendingKey holds events acknowledged to Meta but not applied yet.
func PendingKey(id string) string { return PrefixPending + id }

// OpenIndexKey is one shard of the open-lead queue index.
func OpenIndexKey(leadID string) string {
	shard := 0
	if len(leadID) > 0 {
		shard = int(leadID[len(leadID)-1]) % OpenIndexShards
	}
	return fmt.Sprintf("%s%d", PrefixOpenIndex, shard)
}
