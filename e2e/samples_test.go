package e2e

// Meta sample bodies (../../shared/meta-samples, or SOCIAL_INBOX_SAMPLES), rewritten per
// test so every test owns its customers and native ids, and signed like Meta signs them.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // only to build the legacy X-Hub-Signature header the plugin must refuse
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	samplePageID      = "108245671983342"
	sampleIGAccountID = "17841459302718465"
	sampleMetaAppID   = "1438265907712354"
	businessSuiteApp  = "263902037430900"
)

func samplesDirectory() (string, error) {
	dir := os.Getenv("SOCIAL_INBOX_SAMPLES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "meta-samples")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err = os.Stat(filepath.Join(abs, "messenger_text.json")); err != nil {
		return "", fmt.Errorf("meta samples not found in %s (set SOCIAL_INBOX_SAMPLES): %w", abs, err)
	}
	return abs, nil
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(env.samplesDir, name))
	if err != nil {
		t.Fatalf("read sample %s: %v", name, err)
	}
	return data
}

// idMapper gives every customer id and native id in a body a run-unique replacement that
// is stable within one test, so a sample sent twice is a true duplicate and an echo sample
// addresses the same customer as the text sample.
type idMapper struct {
	ids map[string]string
}

var idCounter atomic.Int64

func init() { idCounter.Store(time.Now().Unix() % 1_000_000 * 1000) }

func newIDMapper() *idMapper { return &idMapper{ids: map[string]string{}} }

func (m *idMapper) native(old string) string {
	if v, ok := m.ids[old]; ok {
		return v
	}
	v := fmt.Sprintf("%s_e2e%d", old, idCounter.Add(1))
	if isDigits(old) {
		v = renumber(old)
	}
	m.ids[old] = v
	return v
}

func (m *idMapper) customer(old string) string {
	if old == samplePageID || old == sampleIGAccountID || old == "" {
		return old
	}
	if v, ok := m.ids[old]; ok {
		return v
	}
	v := renumber(old)
	m.ids[old] = v
	return v
}

// renumber keeps an all-digit id's length (PSIDs and IGSIDs are 16-17 digits) and replaces
// its tail with a run-unique number.
func renumber(old string) string {
	tail := fmt.Sprintf("%010d", idCounter.Add(1)%10_000_000_000)
	if len(old) <= len(tail) {
		return tail
	}
	return old[:len(old)-len(tail)] + tail
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// sampleEvent is one customer-visible item in a body, after rewriting.
type sampleEvent struct {
	Platform   string // "fb" or "ig"
	Kind       string // "message", "comment", "echo", "read", "delivery", "reaction", "edit", "other"
	NativeID   string // message mid or comment id
	CustomerID string
	Text       string
	AppID      string
}

type sampleBody struct {
	Bytes  []byte
	Events []sampleEvent
}

// Messages returns the inbound customer messages and comments in the body.
func (b sampleBody) Messages() []sampleEvent {
	var out []sampleEvent
	for _, e := range b.Events {
		if e.Kind == "message" || e.Kind == "comment" {
			out = append(out, e)
		}
	}
	return out
}

func (b sampleBody) Customers() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range b.Messages() {
		if !seen[e.CustomerID] {
			seen[e.CustomerID] = true
			out = append(out, e.CustomerID)
		}
	}
	return out
}

// rewrite replaces every customer id and native id in body (byte-for-byte, so Meta's
// escaping is kept) and describes the events it holds.
func (m *idMapper) rewrite(t *testing.T, body []byte) sampleBody {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("sample is not JSON: %v", err)
	}
	replace := map[string]string{}
	var events []sampleEvent
	object, _ := doc["object"].(string)
	platform := "fb"
	if object == "instagram" {
		platform = "ig"
	}
	mapNative := func(v any) string {
		s, _ := v.(string)
		if s == "" {
			return ""
		}
		n := m.native(s)
		replace[s] = n
		return n
	}
	mapCustomer := func(v any) string {
		s, _ := v.(string)
		c := m.customer(s)
		if c != s {
			replace[s] = c
		}
		return c
	}

	for _, e := range asSlice(doc["entry"]) {
		entry := asMap(e)
		for _, key := range []string{"messaging", "standby"} {
			for _, it := range asSlice(entry[key]) {
				ev := asMap(it)
				sender := mapCustomer(asMap(ev["sender"])["id"])
				recipient := mapCustomer(asMap(ev["recipient"])["id"])
				se := sampleEvent{Platform: platform, Kind: "other", CustomerID: sender}
				if msg := asMap(ev["message"]); msg != nil {
					se.NativeID = mapNative(msg["mid"])
					se.Text, _ = msg["text"].(string)
					se.Kind = "message"
					if echo, _ := msg["is_echo"].(bool); echo {
						se.Kind = "echo"
						se.CustomerID = recipient
						if n, ok := msg["app_id"].(json.Number); ok {
							se.AppID = n.String()
						}
					}
					if rt := asMap(msg["reply_to"]); rt != nil {
						mapNative(rt["mid"])
					}
				}
				if d := asMap(ev["delivery"]); d != nil {
					se.Kind = "delivery"
					for _, mid := range asSlice(d["mids"]) {
						mapNative(mid)
					}
				}
				if r := asMap(ev["read"]); r != nil {
					se.Kind = "read"
					mapNative(r["mid"])
				}
				if r := asMap(ev["reaction"]); r != nil {
					se.Kind = "reaction"
					se.NativeID = mapNative(r["mid"])
				}
				if r := asMap(ev["message_edit"]); r != nil {
					se.Kind = "edit"
					se.NativeID = mapNative(r["mid"])
					se.Text, _ = r["text"].(string)
				}
				if platform == "ig" && se.CustomerID != "" {
					env.graph.MarkInstagram(se.CustomerID)
				}
				events = append(events, se)
			}
		}
		for _, it := range asSlice(entry["changes"]) {
			change := asMap(it)
			value := asMap(change["value"])
			if value == nil {
				continue
			}
			se := sampleEvent{Platform: platform, Kind: "comment"}
			from := asMap(value["from"])
			se.CustomerID = mapCustomer(from["id"])
			if platform == "ig" {
				se.NativeID = mapNative(value["id"])
				se.Text, _ = value["text"].(string)
				if p, ok := value["parent_id"].(string); ok {
					mapNative(p)
				}
				env.graph.MarkInstagram(se.CustomerID)
			} else {
				se.NativeID = mapNative(value["comment_id"])
				se.Text, _ = value["message"].(string)
				if item, _ := value["item"].(string); item != "comment" {
					se.Kind = "other"
				}
			}
			events = append(events, se)
		}
	}

	// Longest first, so an id that contains another id is replaced whole.
	olds := make([]string, 0, len(replace))
	for old := range replace {
		olds = append(olds, old)
	}
	sort.Slice(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
	out := body
	for _, old := range olds {
		out = bytes.ReplaceAll(out, []byte(`"`+old+`"`), []byte(`"`+replace[old]+`"`))
	}
	return sampleBody{Bytes: out, Events: events}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// replaceJSONString swaps one quoted string value in a raw body, failing if it is absent.
func replaceJSONString(t *testing.T, body []byte, old, replacement string) []byte {
	t.Helper()
	quotedOld, quotedNew := quoteJSON(old), quoteJSON(replacement)
	if !bytes.Contains(body, quotedOld) {
		t.Fatalf("sample does not contain %s", quotedOld)
	}
	return bytes.ReplaceAll(body, quotedOld, quotedNew)
}

// quoteJSON quotes s the way Meta does: no HTML escaping (URLs keep their raw '&').
func quoteJSON(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// attachmentURL returns the first attachment payload URL in a body.
func attachmentURL(t *testing.T, body []byte) string {
	t.Helper()
	var doc struct {
		Entry []struct {
			Messaging []struct {
				Message struct {
					Attachments []struct {
						Payload struct {
							URL string `json:"url"`
						} `json:"payload"`
					} `json:"attachments"`
				} `json:"message"`
			} `json:"messaging"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("decode sample: %v", err)
	}
	for _, e := range doc.Entry {
		for _, m := range e.Messaging {
			for _, a := range m.Message.Attachments {
				if a.Payload.URL != "" {
					return a.Payload.URL
				}
			}
		}
	}
	t.Fatal("sample has no attachment URL")
	return ""
}

func signSHA256(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func signSHA1(secret string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

type webhookResponse struct {
	Status int
	Body   string
}

var webhookHTTP = &http.Client{Timeout: 30 * time.Second}

// postWebhook POSTs a raw body to the plugin's Meta webhook with exactly the given headers
// (Content-Type is added), with no Mattermost session, as Meta does.
func postWebhook(t *testing.T, body []byte, headers map[string]string) webhookResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.webhookURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build webhook request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := webhookHTTP.Do(req)
	if err != nil {
		t.Fatalf("POST webhook: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return webhookResponse{Status: resp.StatusCode, Body: string(data)}
}

func verifyRequest(t *testing.T, mode, token, challenge string) (int, string) {
	t.Helper()
	q := url.Values{}
	if mode != "" {
		q.Set("hub.mode", mode)
	}
	if token != "" {
		q.Set("hub.verify_token", token)
	}
	if challenge != "" {
		q.Set("hub.challenge", challenge)
	}
	resp, err := webhookHTTP.Get(env.webhookURL + "?" + q.Encode())
	if err != nil {
		t.Fatalf("GET webhook: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(data)
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
