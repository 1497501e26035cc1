package connection

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
)

// Where the admin fixes things. Settings are named as System Console shows them.
const (
	consoleSettings = "System Console > Plugins > Social Inbox"
	appBasics       = "Meta App Dashboard > App settings > Basic"
	// retryFix is the answer to an outage.
	retryFix = "Try again in a few minutes. If it keeps failing, check that the Mattermost server can reach the Graph API (proxy, firewall, DNS) and that Graph API base URL in " + consoleSettings + " is right."
)

var numeric = regexp.MustCompile(`^\d+$`)

// evaluator turns Meta's answers into checks.
type evaluator struct {
	cfg     Config
	a       answers
	now     time.Time
	timeout time.Duration
}

func pass(id, label, detail string) Check {
	return Check{ID: id, Label: label, Status: StatusPass, Detail: detail}
}

func fail(id, label, detail, fix string) Check {
	return Check{ID: id, Label: label, Status: StatusFail, Detail: detail, Fix: fix}
}

func warn(id, label, detail, fix string) Check {
	return Check{ID: id, Label: label, Status: StatusWarn, Detail: detail, Fix: fix}
}

func skip(id, label, detail string) Check {
	return Check{ID: id, Label: label, Status: StatusSkip, Detail: detail}
}

// Labels.
const (
	labelSettings     = "Settings filled in"
	labelAppSecret    = "App ID and App Secret"
	labelPageToken    = "Page access token"
	labelTokenExpiry  = "Token expiry"
	labelPage         = "Facebook Page"
	labelInstagram    = "Instagram account"
	labelSubscription = "Webhook subscription"
	labelWebhookURL   = "Webhook URL"
)

// settings: the four settings every other check needs, and IDs that are numbers.
func (e *evaluator) settings() Check {
	var missing, malformed []string
	for _, s := range []struct{ name, value string }{
		{"Meta App ID", e.cfg.AppID},
		{"Meta App Secret", e.cfg.AppSecret},
		{"Facebook Page ID", e.cfg.PageID},
		{"Page access token", e.cfg.PageToken},
	} {
		if s.value == "" {
			missing = append(missing, s.name)
		}
	}
	for _, s := range []struct{ name, value string }{
		{"Meta App ID", e.cfg.AppID},
		{"Facebook Page ID", e.cfg.PageID},
		{"Instagram account ID", e.cfg.InstagramAccountID},
	} {
		if s.value != "" && !numeric.MatchString(s.value) {
			malformed = append(malformed, s.name)
		}
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "Not set: "+strings.Join(missing, ", ")+".")
	}
	if len(malformed) > 0 {
		problems = append(problems, "Not a numeric ID: "+strings.Join(malformed, ", ")+" (Meta IDs are digits only; an Instagram account ID is not the @username).")
	}
	if len(problems) > 0 {
		return fail(CheckSettings, labelSettings, strings.Join(problems, " "),
			"Fill them in under "+consoleSettings+" (App ID and App Secret from "+appBasics+"; the Page ID from the Page's About > Page transparency), save, and test again.")
	}
	detail := "Meta App ID, App Secret, Facebook Page ID and Page access token are set."
	if e.cfg.InstagramAccountID != "" {
		detail = "Meta App ID, App Secret, Facebook Page ID, Page access token and Instagram account ID are set."
	}
	return pass(CheckSettings, labelSettings, detail)
}

// appSecret: debug_token is called with the app access token <app id>|<app secret>, so
// its answer says whether Meta accepts the pair. The same secret verifies webhook
// signatures, so a wrong one also means every delivery is refused.
func (e *evaluator) appSecret() Check {
	switch {
	case e.cfg.AppID == "" || e.cfg.AppSecret == "":
		return skip(CheckAppSecret, labelAppSecret, "Skipped: the Meta App ID or App Secret is not set (see Settings filled in).")
	case e.cfg.PageToken == "":
		return skip(CheckAppSecret, labelAppSecret, "Skipped: Meta is asked about the App Secret by inspecting the Page access token, which is not set.")
	}
	err := e.a.tokenErr
	if err == nil || foreignToken(err) {
		// A token of another app is only reported once Meta accepted the app token.
		return pass(CheckAppSecret, labelAppSecret, fmt.Sprintf("Meta accepted the App Secret of app %s.", e.appName()))
	}
	if ge := graphError(err); ge != nil && badAppCredentials(ge) {
		return fail(CheckAppSecret, labelAppSecret,
			"Meta refused the App ID and App Secret pair: "+metaSays(ge)+" The webhook checks every delivery against this secret, so with a wrong one it refuses everything Meta sends.",
			"Copy the App ID and the App Secret again from "+appBasics+" (Show), paste both into "+consoleSettings+", save, and test again. If the secret was reset in Meta, only the new one works.")
	}
	return e.callFailed(CheckAppSecret, labelAppSecret, err, "checking the App Secret (debug_token)")
}

// pageToken: what debug_token says about the Page token.
func (e *evaluator) pageToken() Check {
	if c, ok := e.tokenUnknown(CheckPageToken, labelPageToken); !ok {
		return c
	}
	if foreignToken(e.a.tokenErr) {
		return fail(CheckPageToken, labelPageToken,
			fmt.Sprintf("The Page access token was issued for a different Meta app than app %s, so Meta will not let this app use it.", e.cfg.AppID),
			fmt.Sprintf("Generate the Page token with app %s (or set Meta App ID and App Secret to the app that issued it), paste it into %s, save, and test again.", e.cfg.AppID, consoleSettings))
	}
	t := e.a.token
	if !t.Valid {
		return fail(CheckPageToken, labelPageToken, "Meta says the token is not valid: "+tokenProblem(t.Problem), e.newTokenFix())
	}
	var problems, fixes []string
	if t.AppID != "" && t.AppID != e.cfg.AppID {
		problems = append(problems, fmt.Sprintf("It was issued for app %s, not app %s.", t.AppID, e.cfg.AppID))
		fixes = append(fixes, fmt.Sprintf("Generate it with app %s.", e.cfg.AppID))
	}
	if t.Type != "PAGE" {
		kind := strings.ToLower(strings.ReplaceAll(t.Type, "_", " "))
		if kind == "" {
			kind = "unknown"
		}
		problems = append(problems, fmt.Sprintf("It is a %s token, not a Page token; sending and the webhook subscription need a Page token.", kind))
		fixes = append(fixes, "Use the Page's own token: call GET /me/accounts with this token and copy the access_token of Page "+e.cfg.PageID+".")
	} else if t.ProfileID != "" && e.cfg.PageID != "" && t.ProfileID != e.cfg.PageID {
		problems = append(problems, fmt.Sprintf("It belongs to Page %s, not Page %s.", t.ProfileID, e.cfg.PageID))
		fixes = append(fixes, fmt.Sprintf("Paste the token of Page %s, or set Facebook Page ID to %s if that is the Page you mean.", e.cfg.PageID, t.ProfileID))
	}
	missing := e.missingScopes(t)
	if len(missing) > 0 {
		problems = append(problems, "Missing permissions: "+strings.Join(missing, ", ")+".")
		fixes = append(fixes, "Generate a new Page token that grants "+strings.Join(missing, ", ")+" (add them to the app's use case in the App Dashboard first; people without a role on the app need them approved with Advanced Access in App Review).")
	}
	if len(problems) > 0 {
		return fail(CheckPageToken, labelPageToken, strings.Join(problems, " "),
			strings.Join(fixes, " ")+" Paste the new token into Page access token in "+consoleSettings+", save, and test again.")
	}
	return pass(CheckPageToken, labelPageToken, fmt.Sprintf("A valid Page token of app %s for Page %s, with %s.",
		e.cfg.AppID, e.cfg.PageID, strings.Join(e.requiredScopes(), ", ")))
}

// tokenUnknown returns the skip of a check that judges the token by debug_token's answer
// when there is no answer; ok is true when there is one.
func (e *evaluator) tokenUnknown(id, label string) (Check, bool) {
	switch {
	case e.cfg.PageToken == "":
		return skip(id, label, "Skipped: no Page access token is set (see Settings filled in)."), false
	case e.cfg.AppID == "" || e.cfg.AppSecret == "":
		return skip(id, label, "Skipped: Meta only describes a token to the app that issued it, and the Meta App ID or App Secret is not set."), false
	case e.a.tokenErr != nil && !foreignToken(e.a.tokenErr):
		return skip(id, label, "Skipped: the token could not be inspected because the App Secret check failed (see App ID and App Secret)."), false
	}
	return Check{}, true
}

// newTokenFix says how to get a Page token that does not expire.
func (e *evaluator) newTokenFix() string {
	return "Generate a new Page access token with this app: in Meta Business Settings > Users > System users, generate a token for the app with " +
		strings.Join(e.requiredScopes(), ", ") + " and pages_show_list, and take the Page's token from GET /me/accounts with it (a Page token made this way, or from a long-lived user token, does not expire). Paste it into Page access token in " +
		consoleSettings + ", save, and test again."
}

func (e *evaluator) requiredScopes() []string {
	scopes := slices.Clone(scopesPage)
	if e.cfg.InstagramAccountID != "" {
		scopes = append(scopes, scopesInstagram...)
	}
	return scopes
}

// missingScopes lists the required permissions the token lacks, or has only for other
// Pages or accounts (granular scopes name the objects a permission was granted for).
func (e *evaluator) missingScopes(t graph.TokenInfo) []string {
	var missing []string
	for _, scope := range e.requiredScopes() {
		if !slices.Contains(t.Scopes, scope) {
			missing = append(missing, scope)
			continue
		}
		target := e.cfg.PageID
		if strings.HasPrefix(scope, "instagram_") {
			target = e.cfg.InstagramAccountID
		}
		for _, g := range t.GranularScopes {
			if g.Scope == scope && len(g.TargetIDs) > 0 && target != "" && !slices.Contains(g.TargetIDs, target) {
				missing = append(missing, scope+" (granted for other accounts only)")
				break
			}
		}
	}
	return missing
}

// tokenExpiry: a token that never expires passes; one that expires within
// ExpiryWarning warns; an expired one fails.
func (e *evaluator) tokenExpiry() Check {
	if c, ok := e.tokenUnknown(CheckTokenExpiry, labelTokenExpiry); !ok {
		return c
	}
	if foreignToken(e.a.tokenErr) {
		return skip(CheckTokenExpiry, labelTokenExpiry, "Skipped: Meta does not describe a token of another app (see Page access token).")
	}
	t := e.a.token
	exp := t.ExpiresAt
	switch {
	case !exp.IsZero() && !exp.After(e.now):
		return fail(CheckTokenExpiry, labelTokenExpiry,
			fmt.Sprintf("The token expired on %s. Buyer names cannot be looked up and replies cannot be sent.", when(exp)), e.newTokenFix())
	case !t.Valid:
		return skip(CheckTokenExpiry, labelTokenExpiry, "Skipped: Meta says the token is not valid (see Page access token).")
	case exp.IsZero():
		return pass(CheckTokenExpiry, labelTokenExpiry, "The token never expires.")
	case exp.Sub(e.now) <= ExpiryWarning:
		return warn(CheckTokenExpiry, labelTokenExpiry,
			fmt.Sprintf("The token expires on %s (%s). Then buyer names cannot be looked up and replies cannot be sent.", when(exp), in(exp.Sub(e.now))),
			"Replace it before then with a Page token that does not expire. "+e.newTokenFix())
	}
	return pass(CheckTokenExpiry, labelTokenExpiry,
		fmt.Sprintf("The token expires on %s (%s). A Page token that never expires saves replacing it.", when(exp), in(exp.Sub(e.now))))
}

// tokenInvalid: debug_token said the Page token is not valid, so every call made with it
// fails for that reason alone.
func (e *evaluator) tokenInvalid() bool {
	return e.a.tokenRan && e.a.tokenErr == nil && !e.a.token.Valid
}

// pageCheck: the Page can be read with the Page token.
func (e *evaluator) pageCheck() Check {
	switch {
	case e.cfg.PageID == "" || e.cfg.PageToken == "":
		return skip(CheckPage, labelPage, "Skipped: the Facebook Page ID or the Page access token is not set (see Settings filled in).")
	case e.tokenInvalid():
		return skip(CheckPage, labelPage, "Skipped: the Page access token is not valid (see Page access token).")
	case e.a.pageErr != nil:
		return e.callFailed(CheckPage, labelPage, e.a.pageErr, "reading the Page")
	}
	name := e.a.page.Name
	if name == "" {
		return pass(CheckPage, labelPage, fmt.Sprintf("Page %s can be read with the token.", e.cfg.PageID))
	}
	return pass(CheckPage, labelPage, fmt.Sprintf("Reached the Page “%s” (%s).", name, e.cfg.PageID))
}

// instagram: the configured account is the one linked to the Page, and can be read.
func (e *evaluator) instagram() Check {
	ig := e.cfg.InstagramAccountID
	switch {
	case ig == "":
		return skip(CheckInstagram, labelInstagram, "Skipped: no Instagram account ID is set, so Instagram is not connected.")
	case e.cfg.PageToken == "":
		return skip(CheckInstagram, labelInstagram, "Skipped: the Page access token is not set (see Settings filled in).")
	case e.tokenInvalid():
		return skip(CheckInstagram, labelInstagram, "Skipped: the Page access token is not valid (see Page access token).")
	case !e.a.pageRan || e.a.pageErr != nil:
		return skip(CheckInstagram, labelInstagram, "Skipped: the Page could not be read, so its linked Instagram account is unknown (see Facebook Page).")
	}
	linked := e.a.page.InstagramAccountID
	switch {
	case linked == "":
		return fail(CheckInstagram, labelInstagram,
			fmt.Sprintf("Meta shows no Instagram professional account linked to the Page (or the token lacks instagram_basic to see it), so Instagram account %s cannot be reached through it.", ig),
			"Link the Instagram professional account to the Page (Meta Business Suite > Settings > Instagram accounts, or the Page's Settings > Linked accounts), then test again.")
	case linked != ig:
		return fail(CheckInstagram, labelInstagram,
			fmt.Sprintf("The Page is linked to Instagram account %s, not to %s (the Instagram account ID setting).", linked, ig),
			fmt.Sprintf("Set Instagram account ID to %s in %s, or link account %s to the Page in Meta Business Suite; save, and test again.", linked, consoleSettings, ig))
	case e.a.igErr != nil:
		return e.callFailed(CheckInstagram, labelInstagram, e.a.igErr, "reading the Instagram account")
	}
	who := ig
	if u := e.a.ig.Username; u != "" {
		who = fmt.Sprintf("@%s (%s)", u, ig)
	}
	return pass(CheckInstagram, labelInstagram, who+" is linked to the Page and can be read. Its owner must also allow Connected tools access to messages in the Instagram app; Meta does not report that setting here.")
}

// subscription: the app gets the Page's webhook fields (the Page level; the app-level
// callback and fields are set in the App Dashboard and cannot be read with a Page token).
func (e *evaluator) subscription() Check {
	switch {
	case e.cfg.PageID == "" || e.cfg.PageToken == "":
		return skip(CheckSubscription, labelSubscription, "Skipped: the Facebook Page ID or the Page access token is not set (see Settings filled in).")
	case e.cfg.AppID == "":
		return skip(CheckSubscription, labelSubscription, "Skipped: the Meta App ID is not set, so the app cannot be found among the Page's subscriptions.")
	case e.tokenInvalid():
		return skip(CheckSubscription, labelSubscription, "Skipped: the Page access token is not valid (see Page access token).")
	case e.a.appsErr != nil:
		return e.callFailed(CheckSubscription, labelSubscription, e.a.appsErr, "reading the Page's subscribed apps")
	}
	var ours *graph.SubscribedApp
	var others []string
	for i, app := range e.a.apps {
		if app.ID == e.cfg.AppID {
			ours = &e.a.apps[i]
			continue
		}
		others = append(others, appLabel(app))
	}
	if ours == nil {
		detail := fmt.Sprintf("App %s is not subscribed to the Page, so Meta delivers none of the Page's messages or comments. (Meta unsubscribes an app after an hour of failed deliveries.)", e.cfg.AppID)
		if len(others) > 0 {
			detail += " Subscribed apps: " + strings.Join(others, ", ") + "."
		}
		return fail(CheckSubscription, labelSubscription, detail, e.subscribeFix())
	}
	missingCore := missingFrom(coreFields, ours.SubscribedFields)
	missingExtra := missingFrom(extraFields, ours.SubscribedFields)
	switch {
	case len(missingCore) > 0:
		var lost []string
		for _, f := range missingCore {
			lost = append(lost, fieldMeaning[f])
		}
		detail := "The app is subscribed, but not to " + strings.Join(missingCore, ", ") + ", so these never arrive: " + strings.Join(lost, "; ") + "."
		if len(missingExtra) > 0 {
			detail += " Also missing: " + strings.Join(missingExtra, ", ") + "."
		}
		return fail(CheckSubscription, labelSubscription, detail, e.subscribeFix())
	case len(missingExtra) > 0:
		return warn(CheckSubscription, labelSubscription,
			"The app is subscribed, but not to "+strings.Join(missingExtra, ", ")+": reactions, read and delivery receipts or edits of those kinds are not shown.",
			e.subscribeFix())
	}
	detail := "The app is subscribed to the Page with every field the plugin uses."
	if e.cfg.InstagramAccountID != "" {
		detail += " Instagram events also need the Instagram webhook fields in the App Dashboard (Webhooks > Instagram), which this check cannot see."
	}
	return pass(CheckSubscription, labelSubscription, detail)
}

func (e *evaluator) subscribeFix() string {
	return fmt.Sprintf("Subscribe the app with the Page token (for example in the Graph API Explorer): POST /%s/subscribed_apps?subscribed_fields=%s. Or, in the App Dashboard: Messenger API Settings > Webhooks, choose Add subscriptions for the Page and tick those fields. The fields must also be subscribed at the app level (Webhooks > Page). Then test again.",
		e.cfg.PageID, strings.Join(SubscribedFields(), ","))
}

// webhookURL: Meta needs an absolute https address, which Mattermost only knows from its
// Site URL.
func (e *evaluator) webhookURL() Check {
	u := e.cfg.WebhookURL
	if u == "" {
		return fail(CheckWebhookURL, labelWebhookURL,
			"Mattermost's Site URL is not set, so the webhook address Meta must call is unknown.",
			"Set System Console > Environment > Web Server > Site URL to the server's public https address and save; then give Meta <Site URL>/plugins/social-inbox/webhook/meta as the callback URL, with the verify token shown here.")
	}
	if parsed, err := url.Parse(u); err != nil || parsed.Scheme != "https" {
		return warn(CheckWebhookURL, labelWebhookURL,
			fmt.Sprintf("The webhook address is %s. Meta only delivers to https addresses with a valid certificate, so this works only with a local simulator.", u),
			"Serve Mattermost over https with a certificate from a public authority, set Site URL to the https address, and give Meta the new callback URL.")
	}
	return pass(CheckWebhookURL, labelWebhookURL,
		fmt.Sprintf("Meta must deliver to %s (Callback URL in the App Dashboard's Webhooks settings, with the verify token shown here).", u))
}

// callFailed is a check whose Graph call failed: an outage or Meta's refusal, with what
// to do about it.
func (e *evaluator) callFailed(id, label string, err error, what string) Check {
	if errors.Is(err, context.DeadlineExceeded) {
		return fail(id, label, fmt.Sprintf("Meta did not answer within %s while %s.", duration(e.timeout), what), retryFix)
	}
	ge := graphError(err)
	if ge == nil {
		if graph.Classify(err).Class == graph.ClassNetwork {
			return fail(id, label, fmt.Sprintf("The Graph API%s could not be reached while %s: %s.", e.where(), what, rootCause(err)), retryFix)
		}
		return fail(id, label, fmt.Sprintf("Meta could not be asked while %s: %s.", what, rootCause(err)),
			"Check the settings in "+consoleSettings+", save, and test again.")
	}
	class := graph.Classify(ge).Class
	switch class {
	case graph.ClassTemporary, graph.ClassUnknown, graph.ClassNetwork, graph.ClassMaybeSent:
		return fail(id, label, fmt.Sprintf("Meta had a problem while %s: %s", what, metaSays(ge)), retryFix)
	case graph.ClassRateLimited:
		return fail(id, label, fmt.Sprintf("Meta is rate limiting the app while %s: %s", what, metaSays(ge)), "Wait a few minutes and test again.")
	case graph.ClassToken:
		return fail(id, label, fmt.Sprintf("Meta refused the Page access token while %s: %s", what, metaSays(ge)), e.newTokenFix())
	case graph.ClassPermission:
		return fail(id, label, fmt.Sprintf("The token lacks a permission for %s: %s", what, metaSays(ge)),
			"Generate a new Page token that grants "+strings.Join(e.requiredScopes(), ", ")+" and pages_show_list, paste it into "+consoleSettings+", save, and test again. If the app is not Live, or the permissions lack Advanced Access, fix that in the App Dashboard first.")
	case graph.ClassReconnect, graph.ClassConfig:
		return fail(id, label, fmt.Sprintf("Meta refused %s: %s", what, metaSays(ge)),
			"Reconnect the Instagram account to the Page in Meta Business Suite, and in the Instagram app allow Settings > Messages and story replies > Connected tools > Allow access to messages. Then test again.")
	case graph.ClassBadRequest:
		return fail(id, label, fmt.Sprintf("Meta could not find the object while %s: %s The ID is wrong, or the token has no access to it.", what, metaSays(ge)),
			"Check the IDs in "+consoleSettings+" (the Page ID from the Page's About > Page transparency; the Instagram account ID, not the @username), and that the token is the Page's own token.")
	}
	return fail(id, label, fmt.Sprintf("Meta refused %s: %s", what, metaSays(ge)), retryFix)
}

func (e *evaluator) where() string {
	if e.cfg.GraphURL == "" {
		return ""
	}
	return " (" + e.cfg.GraphURL + ")"
}

func (e *evaluator) appName() string {
	if e.a.token.Application != "" && e.a.tokenErr == nil {
		return fmt.Sprintf("“%s” (%s)", e.a.token.Application, e.cfg.AppID)
	}
	return e.cfg.AppID
}

// foreignToken: debug_token answered (#100) "The App_id in the input_token did not match
// the Viewing App". It is the one code-100 answer of debug_token: the app token was
// accepted and input_token is always sent.
func foreignToken(err error) bool {
	ge := graphError(err)
	return ge != nil && ge.Code == 100
}

// badAppCredentials: the app access token was refused (190 "Invalid OAuth access token
// signature", 101 "Error validating application", 102 API session).
func badAppCredentials(ge *graph.Error) bool {
	switch ge.Code {
	case 190, 101, 102:
		return true
	}
	return false
}

func graphError(err error) *graph.Error {
	var ge *graph.Error
	if errors.As(err, &ge) {
		return ge
	}
	return nil
}

// metaSays quotes Meta's answer with its code, for an admin or Meta's support.
func metaSays(ge *graph.Error) string {
	msg := strings.TrimSpace(ge.Message)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", ge.HTTPStatus)
	}
	code := fmt.Sprintf("error %d", ge.Code)
	if ge.Subcode != 0 {
		code += fmt.Sprintf("/%d", ge.Subcode)
	}
	if ge.FBTraceID != "" {
		code += ", trace " + ge.FBTraceID
	}
	return fmt.Sprintf("Meta answered “%s” (%s).", strings.TrimSuffix(msg, "."), code)
}

// tokenProblem explains debug_token's error for an invalid token (190 and its subcodes).
func tokenProblem(p *graph.TokenProblem) string {
	if p == nil {
		return "Meta gave no reason."
	}
	reason := ""
	switch p.Subcode {
	case 463:
		reason = "it has expired"
	case 460:
		reason = "the person who generated it changed their password"
	case 458:
		reason = "the person who generated it removed the app"
	case 459:
		reason = "the person who generated it must log in to Facebook to unlock their account"
	case 464:
		reason = "the person who generated it has an unconfirmed account"
	case 467:
		reason = "it was revoked or its session ended (for example the person logged out)"
	case 492:
		reason = "the person who generated it no longer has a role on the Page"
	}
	msg := strings.TrimSuffix(strings.TrimSpace(p.Message), ".")
	code := fmt.Sprintf("error %d", p.Code)
	if p.Subcode != 0 {
		code += fmt.Sprintf("/%d", p.Subcode)
	}
	switch {
	case reason != "" && msg != "":
		return fmt.Sprintf("%s (Meta: “%s”, %s).", sentenceStart(reason), msg, code)
	case reason != "":
		return fmt.Sprintf("%s (%s).", sentenceStart(reason), code)
	case msg != "":
		return fmt.Sprintf("Meta answered “%s” (%s).", msg, code)
	}
	return fmt.Sprintf("Meta gave no reason (%s).", code)
}

func sentenceStart(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// rootCause is the innermost error's text: the network failure without our wrapping.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return strings.TrimSuffix(err.Error(), ".")
		}
		err = next
	}
}

func appLabel(app graph.SubscribedApp) string {
	if app.Name == "" {
		return app.ID
	}
	return fmt.Sprintf("%s (%s)", app.Name, app.ID)
}

func missingFrom(want, have []string) []string {
	var out []string
	for _, f := range want {
		if !slices.Contains(have, f) {
			out = append(out, f)
		}
	}
	return out
}

// when formats a time for an admin, in UTC so every node and reader agree.
func when(t time.Time) string {
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// duration says a timeout in words.
func duration(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		if d == time.Second {
			return "1 second"
		}
		return fmt.Sprintf("%d seconds", int(d/time.Second))
	}
	return d.String()
}

// in says how far away a duration is, roughly.
func in(d time.Duration) string {
	switch {
	case d < time.Hour:
		return "in less than an hour"
	case d < 48*time.Hour:
		h := int(d / time.Hour)
		if h == 1 {
			return "in 1 hour"
		}
		return fmt.Sprintf("in %d hours", h)
	}
	return fmt.Sprintf("in %d days", int(d/(24*time.Hour)))
}

// fieldMeaning says what is lost without a core field.
var fieldMeaning = map[string]string{
	"messages":            "buyers' messages",
	"message_echoes":      "replies sent from Meta Business Suite or the Instagram app",
	"messaging_postbacks": "button and ice-breaker taps",
	"messaging_referrals": "ad and m.me link referrals",
	"standby":             "messages while another app holds the conversation",
	"feed":                "comments on the Page's posts",
}
