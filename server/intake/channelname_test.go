package intake

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

func TestChannelNameFoldsAccentsAndStaysWithinLimits(t *testing.T) {
	lead := strings.Repeat("ab", 16)
	tests := []struct {
		platform meta.Platform
		contact  string
		want     string
	}{
		{meta.Facebook, "Zoë Haddad", "fb-zoe-haddad-abababab"},
		{meta.Instagram, "José Müller", "ig-jose-muller-abababab"},
		{meta.Instagram, "@tom_v.idaho", "ig-tom-v-idaho-abababab"},
		{meta.Facebook, "李小龍", "fb-buyer-abababab"},
		{meta.Facebook, strings.Repeat("Long Name ", 20), "fb-long-name-long-name-long-name-long-name-abababab"},
	}
	for _, tc := range tests {
		got := channelName(tc.platform, tc.contact, lead)
		require.Equal(t, tc.want, got)
		require.LessOrEqual(t, len(got), 64)
	}
}
