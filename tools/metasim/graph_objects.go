package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Page, Instagram account and profile lookups.

var (
	pageFields      = set("id", "name", "category", "link", "username", "instagram_business_account", "connected_instagram_account", "fan_count", "about")
	igAccountFields = set("id", "ig_id", "username", "name", "profile_picture_url", "followers_count", "media_count")
	messengerFields = set("id", "first_name", "last_name", "name", "profile_pic")
	permissionGated = set("locale", "timezone", "gender")
	igProfileFields = set("id", "name", "username", "profile_pic", "follower_count", "is_user_follow_business", "is_business_follow_user", "is_verified_user")
	scopedUserID    = regexp.MustCompile(`^[1-9][0-9]{14,17}$`)
)

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}

func requestedFields(req *graphRequest, defaults ...string) []string {
	raw := req.params.Get("fields")
	if raw == "" {
		return defaults
	}
	var out []string
	for _, f := range strings.Split(raw, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// selectFields answers only what was asked for (and the id, as Graph does), or the
// nonexisting-field error for a field the node type does not have.
func (g *graphStandIn) selectFields(w http.ResponseWriter, req *graphRequest, nodeType string, allowed map[string]bool, all map[string]any, fields []string) {
	out := map[string]any{}
	for _, f := range fields {
		if !allowed[f] {
			g.writeError(w, req, paramError("Tried accessing nonexisting field (%s) on node type (%s)", f, nodeType))
			return
		}
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	out["id"] = all["id"]
	g.writeJSON(w, req, http.StatusOK, out)
}

func (g *graphStandIn) object(w http.ResponseWriter, req *graphRequest) {
	id := req.parts[0]
	switch {
	case id == "me" || id == g.cfg.PageID:
		g.selectFields(w, req, "Page", pageFields, map[string]any{
			"id":                          g.cfg.PageID,
			"name":                        pageName,
			"category":                    "Swimming Pool & Hot Tub Service",
			"link":                        "https://www.facebook.com/" + g.cfg.PageID,
			"username":                    "tvpoolsspas",
			"instagram_business_account":  map[string]string{"id": g.cfg.IGID},
			"connected_instagram_account": map[string]string{"id": g.cfg.IGID},
			"fan_count":                   4182,
			"about":                       "Pools, hot tubs and saunas for the Treasure Valley since 1998.",
		}, requestedFields(req, "name"))
	case id == g.cfg.IGID:
		g.selectFields(w, req, "IGUser", igAccountFields, map[string]any{
			"id":                  g.cfg.IGID,
			"ig_id":               58291034,
			"username":            "tv_pools_spas",
			"name":                pageName,
			"profile_picture_url": g.cfg.PublicURL + "/media/tv-pools-spas.png",
			"followers_count":     2960,
			"media_count":         311,
		}, requestedFields(req, "id"))
	default:
		g.profile(w, req, id)
	}
}

func (g *graphStandIn) profile(w http.ResponseWriter, req *graphRequest, id string) {
	if !scopedUserID.MatchString(id) {
		g.writeRaw(w, req, http.StatusBadRequest, mustBody("profile_error_no_profile.json"))
		return
	}
	fields := requestedFields(req, "name")
	instagram := false
	for _, f := range fields {
		if permissionGated[f] {
			// Asking for locale/timezone/gender without the extra permissions fails the
			// whole call, not just that field.
			g.writeRaw(w, req, http.StatusBadRequest, mustBody("profile_error_insufficient_permission.json"))
			return
		}
		if igProfileFields[f] && !messengerFields[f] {
			instagram = true
		}
	}
	g.mu.Lock()
	if instagram {
		g.igUsers[id] = true
	}
	instagram = g.igUsers[id]
	g.mu.Unlock()

	p := fakePerson(id)
	pic := g.cfg.PublicURL + "/media/avatar-" + id + ".png"
	if instagram {
		g.selectFields(w, req, "User", igProfileFields, map[string]any{
			"id": id, "name": p.first + " " + p.last, "username": p.username, "profile_pic": pic,
			"follower_count": p.followers, "is_user_follow_business": true, "is_business_follow_user": false,
			"is_verified_user": false,
		}, fields)
		return
	}
	g.selectFields(w, req, "User", messengerFields, map[string]any{
		"id": id, "first_name": p.first, "last_name": p.last, "name": p.first + " " + p.last, "profile_pic": pic,
	}, fields)
}

// subscribed_apps: the per-Page webhook subscription (fact sheet section 9).

var knownSubscribedFields = set(
	"messages", "message_echoes", "messaging_postbacks", "messaging_referrals", "message_reactions",
	"message_reads", "message_deliveries", "message_edits", "messaging_optins", "messaging_handovers",
	"messaging_policy_enforcement", "messaging_account_linking", "messaging_seen", "standby", "feed",
	"comments", "live_comments", "mentions", "response_feedback", "send_cart", "inbox_labels",
	"messaging_customer_information", "message_context", "messaging_game_plays",
)

func (g *graphStandIn) subscribedApps(w http.ResponseWriter, req *graphRequest) {
	target := req.parts[0]
	if target == "me" {
		target = g.cfg.PageID
	}
	if target != g.cfg.PageID && target != g.cfg.IGID {
		g.writeError(w, req, unsupported(req))
		return
	}
	switch req.r.Method {
	case http.MethodGet:
		g.mu.Lock()
		fields, ok := g.subscribed[target]
		g.mu.Unlock()
		data := []any{}
		if ok {
			data = append(data, map[string]any{
				"category":          "Business",
				"link":              "https://www.facebook.com/games/?app_id=" + g.cfg.AppID,
				"name":              "Social Inbox",
				"id":                g.cfg.AppID,
				"subscribed_fields": fields,
			})
		}
		g.writeJSON(w, req, http.StatusOK, map[string]any{"data": data})
	case http.MethodPost:
		fields, err := subscribedFieldsParam(req)
		if err != nil {
			g.writeError(w, req, *err)
			return
		}
		g.mu.Lock()
		g.subscribed[target] = fields
		g.mu.Unlock()
		g.writeJSON(w, req, http.StatusOK, map[string]bool{"success": true})
	case http.MethodDelete:
		g.mu.Lock()
		delete(g.subscribed, target)
		g.mu.Unlock()
		g.writeJSON(w, req, http.StatusOK, map[string]bool{"success": true})
	default:
		g.writeError(w, req, paramError("Unsupported method %s on subscribed_apps", req.r.Method))
	}
}

// subscribedFieldsParam reads subscribed_fields from the query, a form or a JSON body,
// as a comma-separated list or a JSON array.
func subscribedFieldsParam(req *graphRequest) ([]string, *graphError) {
	raw := req.params.Get("subscribed_fields")
	if raw == "" && len(bytes.TrimSpace(req.body)) > 0 {
		var body struct {
			Fields json.RawMessage `json:"subscribed_fields"`
		}
		if json.Unmarshal(req.body, &body) == nil && len(body.Fields) > 0 {
			var s string
			if json.Unmarshal(body.Fields, &s) == nil {
				raw = s
			} else {
				raw = string(body.Fields)
			}
		}
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		e := paramError("The parameter subscribed_fields is required")
		return nil, &e
	}
	var fields []string
	if strings.HasPrefix(raw, "[") {
		if err := json.Unmarshal([]byte(raw), &fields); err != nil {
			e := paramError("Param subscribed_fields must be an array of strings")
			return nil, &e
		}
	} else {
		for _, f := range strings.Split(raw, ",") {
			fields = append(fields, strings.TrimSpace(f))
		}
	}
	for i, f := range fields {
		if !knownSubscribedFields[f] {
			e := paramError("Param subscribed_fields[%d] must be one of {%s} - got %q", i, strings.Join(sortedKeys(knownSubscribedFields), ", "), f)
			return nil, &e
		}
	}
	return fields, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// debug_token tells whether a token is valid, when it expires and its scopes.
func (g *graphStandIn) debugToken(w http.ResponseWriter, req *graphRequest) {
	input := req.params.Get("input_token")
	if input == "" {
		g.writeError(w, req, paramError("The parameter input_token is required"))
		return
	}
	// Meta only describes a token to the app that issued it: an app access token
	// (<app id>|<app secret>) of another app gets this error, never the data.
	if appID, _, isAppToken := strings.Cut(req.token, "|"); isAppToken && appID != g.cfg.AppID {
		g.writeError(w, req, paramError("The App_id in the input_token did not match the Viewing App"))
		return
	}
	now := time.Now()
	data := map[string]any{
		"app_id":      g.cfg.AppID,
		"type":        "PAGE",
		"application": "Social Inbox",
		"profile_id":  g.cfg.PageID,
		"user_id":     "10229384756102938",
	}
	if g.cfg.Token != "" && input != g.cfg.Token {
		data["data_access_expires_at"] = 0
		data["expires_at"] = now.Add(-2 * time.Hour).Unix()
		data["is_valid"] = false
		data["scopes"] = []string{}
		data["error"] = map[string]any{
			"code":    190,
			"message": "Error validating access token: Session has expired on Friday, 20-Nov-26 12:00:00 PST. The current time is Friday, 20-Nov-26 14:16:09 PST.",
			"subcode": 463,
		}
		g.writeJSON(w, req, http.StatusOK, map[string]any{"data": data})
		return
	}
	scopes := []string{
		"pages_show_list", "pages_messaging", "pages_manage_metadata", "pages_read_engagement",
		"pages_read_user_content", "pages_manage_engagement", "instagram_basic",
		"instagram_manage_messages", "instagram_manage_comments", "business_management", "public_profile",
	}
	var granular []map[string]any
	for _, s := range scopes[:6] {
		granular = append(granular, map[string]any{"scope": s, "target_ids": []string{g.cfg.PageID}})
	}
	for _, s := range scopes[6:9] {
		granular = append(granular, map[string]any{"scope": s, "target_ids": []string{g.cfg.IGID}})
	}
	data["data_access_expires_at"] = now.Add(90 * 24 * time.Hour).Unix()
	data["expires_at"] = 0 // Page tokens made from a long-lived user token do not expire.
	data["issued_at"] = now.Add(-30 * 24 * time.Hour).Unix()
	data["is_valid"] = true
	data["scopes"] = scopes
	data["granular_scopes"] = granular
	g.writeJSON(w, req, http.StatusOK, map[string]any{"data": data})
}

// Media.

func (g *graphStandIn) serveMedia(w http.ResponseWriter, req *graphRequest) {
	name := strings.Join(req.parts[1:], "/")
	switch {
	case req.r.Method != http.MethodGet && req.r.Method != http.MethodHead:
		g.writeError(w, req, paramError("Media is read with GET"))
		return
	case name == "":
		w.WriteHeader(http.StatusNotFound)
		return
	}
	data := makePNG(name)
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if req.r.Method == http.MethodGet {
		_, _ = w.Write(data)
	}
}

// makePNG draws a small picture whose colours depend on the name, so that different
// attachments look different in Mattermost.
func makePNG(name string) []byte {
	h := fnv.New32a()
	h.Write([]byte(name))
	sum := h.Sum32()
	base := color.RGBA{R: uint8(sum), G: uint8(sum >> 8), B: uint8(sum >> 16), A: 255}
	accent := color.RGBA{R: 255 - base.R, G: 255 - base.G, B: 255 - base.B, A: 255}
	const size = 96
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			c := base
			if (x+y)/12%2 == 0 {
				c = accent
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// Fake people for profile lookups.

type person struct {
	first, last, username string
	followers             int
}

var knownPeople = map[string]person{
	defaultPSID:        {"Dana", "Kowalski", "dana.kowalski", 0},
	defaultFBCommenter: {"Rick", "Alvarez", "rick.alvarez", 0},
	defaultIGSID:       {"Kayla", "Brooks", "kaylabrooks.boise", 1280},
	defaultIGCommenter: {"Tom", "Vanderhoek", defaultIGCommenterName, 412},
}

var (
	firstNames = []string{"Dana", "Rick", "Maria", "Jordan", "Priya", "Zo\u00eb", "Jos\u00e9", "S\u00f8ren", "Aiyana", "Mateo", "Hannah", "Kenji", "Fatima", "Liam", "Chlo\u00e9", "Wei"}
	lastNames  = []string{"Kowalski", "Alvarez", "Nguyen", "M\u00fcller", "Okafor", "Larsen", "Garc\u00eda", "Brooks", "\u00d8degaard", "Tanaka", "O'Neil", "Haddad", "Petrov", "Silva"}
	asciiFold  = strings.NewReplacer("\u00eb", "e", "\u00e9", "e", "\u00f8", "o", "\u00d8", "o", "\u00fc", "u", "\u00ed", "i", "'", "")
)

func fakePerson(userID string) person {
	if p, ok := knownPeople[userID]; ok {
		return p
	}
	h := fnv.New64a()
	h.Write([]byte(userID))
	sum := h.Sum64()
	first := firstNames[sum%uint64(len(firstNames))]
	last := lastNames[(sum>>8)%uint64(len(lastNames))]
	username := strings.ToLower(asciiFold.Replace(first + "." + last))
	return person{first: first, last: last, username: fmt.Sprintf("%s%02d", username, (sum>>16)%100), followers: int((sum >> 24) % 5000)}
}
