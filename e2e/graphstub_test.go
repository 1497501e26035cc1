package e2e

// A local stand-in for the Graph API (the sandbox has no internet). The plugin is pointed
// at it through the GraphAPIBaseURL setting; inbound attachment URLs in the sample bodies
// are rewritten to its /media/ files.

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"
)

type graphRequest struct {
	Method        string
	Path          string
	RawQuery      string
	Authorization string
	At            time.Time
}

type graphStub struct {
	srv *httptest.Server

	mu        sync.Mutex
	token     string
	requests  []graphRequest
	instagram map[string]bool // IGSIDs; every other user id is answered as a Messenger PSID
}

var (
	graphObjectPath   = regexp.MustCompile(`^/v\d+\.\d+/([^/]+)$`)
	graphMessagesPath = regexp.MustCompile(`^/v\d+\.\d+/([^/]+)/messages$`)
	testPNG           = makePNG()
)

func newGraphStub() *graphStub {
	g := &graphStub{instagram: map[string]bool{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	return g
}

func (g *graphStub) URL() string { return g.srv.URL }

func (g *graphStub) Close() { g.srv.Close() }

// SetToken sets the page access token the stand-in expects as `Authorization: Bearer`.
func (g *graphStub) SetToken(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.token = token
}

// MarkInstagram makes profile lookups for id answer with an Instagram profile.
func (g *graphStub) MarkInstagram(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.instagram[id] = true
}

// MediaURL is a downloadable PNG on the stand-in.
func (g *graphStub) MediaURL(name string) string { return g.srv.URL + "/media/" + name + ".png" }

// Requests returns the requests received since since.
func (g *graphStub) Requests(since time.Time) []graphRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []graphRequest
	for _, r := range g.requests {
		if !r.At.Before(since) {
			out = append(out, r)
		}
	}
	return out
}

func (g *graphStub) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests = append(g.requests, graphRequest{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Authorization: r.Header.Get("Authorization"), At: time.Now(),
	})
	token := g.token
	g.mu.Unlock()

	switch {
	case strings.HasPrefix(r.URL.Path, "/media/") || r.URL.Path == "/avatar.png":
		// CDN files need no token (Meta's URLs are pre-signed).
		if !strings.HasSuffix(r.URL.Path, ".png") {
			graphError(w, http.StatusNotFound, 100, "no such media")
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(testPNG)
		return
	case r.Header.Get("Authorization") != "Bearer "+token || token == "":
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token")
		return
	}

	if m := graphObjectPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		writeJSON(w, g.profile(m[1]))
		return
	}
	if m := graphMessagesPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
		var body struct {
			Recipient struct {
				ID string `json:"id"`
			} `json:"recipient"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		writeJSON(w, map[string]string{"recipient_id": body.Recipient.ID, "message_id": "m_e2e_" + time.Now().Format("150405.000000000")})
		return
	}
	graphError(w, http.StatusBadRequest, 100, "Unsupported request in the e2e Graph stand-in: "+r.Method+" "+r.URL.Path)
}

func (g *graphStub) profile(id string) map[string]any {
	g.mu.Lock()
	ig := g.instagram[id]
	g.mu.Unlock()
	avatar := g.srv.URL + "/avatar.png"
	switch {
	case id == samplePageID:
		return map[string]any{"id": id, "name": "Treasure Valley Pools & Spas"}
	case id == sampleIGAccountID:
		return map[string]any{"id": id, "name": "Treasure Valley Pools & Spas", "username": "tv_pools_spas"}
	case ig:
		return map[string]any{"id": id, "name": "Tom V", "username": "tomvanderhoek_idaho", "profile_pic": avatar}
	default:
		return map[string]any{"id": id, "first_name": "Dana", "last_name": "Kowalski", "name": "Dana Kowalski", "profile_pic": avatar}
	}
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "E2EStandIn",
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func makePNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for x := 0; x < 4; x++ {
		for y := 0; y < 4; y++ {
			img.Set(x, y, color.RGBA{R: 0x1e, G: 0x90, B: 0xff, A: 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
