package e2e

// A local stand-in for the Graph API (the sandbox has no internet). The plugin is pointed
// at it through the GraphAPIBaseURL setting; inbound attachment URLs in the sample bodies
// are rewritten to its /media/ files.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
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
	Header        http.Header
	ContentType   string
	Body          []byte
	// JSON is the decoded body of an application/json request (nil otherwise).
	JSON map[string]any
	// Form and Files are the fields and file parts of a multipart/form-data request.
	Form  map[string][]string
	Files []graphFile
	// Status and Answer are what the stand-in answered.
	Status int
	Answer []byte
	At     time.Time
}

// graphFile is one file part of a multipart request.
type graphFile struct {
	Field       string
	Name        string
	ContentType string
	Size        int
}

// sendAnswer decides the stand-in's answer to the n-th Send API call (1-based) to the
// given recipient. status 0 means the default success answer.
type sendAnswer func(n int, recipientID string) (status int, body []byte)

type graphStub struct {
	srv *httptest.Server

	mu        sync.Mutex
	token     string
	requests  []graphRequest
	instagram map[string]bool // IGSIDs; every other user id is answered as a Messenger PSID
	answer    sendAnswer      // nil: every send succeeds
	sends     int             // Send API calls so far (numbering for answer and message ids)
	midBase   int64           // run-unique start of the m_<n> message ids
}

var (
	graphObjectPath   = regexp.MustCompile(`^/v\d+\.\d+/([^/]+)$`)
	graphMessagesPath = regexp.MustCompile(`^/v\d+\.\d+/([^/]+)/messages$`)
	testPNG           = makePNG()
)

func newGraphStub() *graphStub {
	g := &graphStub{instagram: map[string]bool{}, midBase: time.Now().Unix() % 1_000_000 * 1000}
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

// AnswerSends sets how Send API calls are answered from now on; nil restores success.
func (g *graphStub) AnswerSends(a sendAnswer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answer = a
}

// failSends answers every Send API call with status and body (a Graph error sample).
func failSends(status int, body []byte) sendAnswer {
	return func(int, string) (int, []byte) { return status, body }
}

// Sends returns the Send API calls (POST /vX.Y/<page>/messages) received since since.
func (g *graphStub) Sends(since time.Time) []graphRequest {
	var out []graphRequest
	for _, r := range g.Requests(since) {
		if r.Method == http.MethodPost && graphMessagesPath.MatchString(r.Path) {
			out = append(out, r)
		}
	}
	return out
}

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
	rec := recordRequest(r)
	rw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	w = rw
	defer func() {
		rec.Status, rec.Answer = rw.status, rw.body.Bytes()
		g.mu.Lock()
		g.requests = append(g.requests, rec)
		g.mu.Unlock()
	}()
	g.mu.Lock()
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
		g.send(w, &rec)
		return
	}
	graphError(w, http.StatusBadRequest, 100, "Unsupported request in the e2e Graph stand-in: "+r.Method+" "+r.URL.Path)
}

// send answers a Send API call: success {"recipient_id","message_id":"m_<n>"}, or what
// AnswerSends configured.
func (g *graphStub) send(w http.ResponseWriter, rec *graphRequest) {
	recipient := sendRecipientID(rec)
	g.mu.Lock()
	g.sends++
	n, answer := g.sends, g.answer
	mid := fmt.Sprintf("m_%d", g.midBase+int64(n))
	g.mu.Unlock()
	if answer != nil {
		if status, body := answer(n, recipient); status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
	}
	answerBody := map[string]string{"message_id": mid}
	if recipient != "" { // Meta leaves recipient_id out for private replies to comments
		answerBody["recipient_id"] = recipient
	}
	writeJSON(w, answerBody)
}

// sendRecipientID is recipient.id of a JSON or multipart Send API request.
func sendRecipientID(rec *graphRequest) string {
	recipient := rec.JSON["recipient"]
	if recipient == nil && len(rec.Form["recipient"]) > 0 {
		_ = json.Unmarshal([]byte(rec.Form["recipient"][0]), &recipient)
	}
	m, _ := recipient.(map[string]any)
	id, _ := m["id"].(string)
	return id
}

// recordRequest captures a request with its body, decoded as JSON or multipart form.
func recordRequest(r *http.Request) graphRequest {
	rec := graphRequest{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Authorization: r.Header.Get("Authorization"), Header: r.Header.Clone(),
		ContentType: r.Header.Get("Content-Type"), At: time.Now(),
	}
	if r.Body == nil {
		return rec
	}
	rec.Body, _ = io.ReadAll(io.LimitReader(r.Body, 64<<20))
	mediaType, params, _ := mime.ParseMediaType(rec.ContentType)
	switch {
	case mediaType == "application/json":
		_ = json.Unmarshal(rec.Body, &rec.JSON)
	case mediaType == "multipart/form-data" && params["boundary"] != "":
		rec.Form = map[string][]string{}
		mr := multipart.NewReader(bytes.NewReader(rec.Body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(part)
			if part.FileName() != "" {
				rec.Files = append(rec.Files, graphFile{Field: part.FormName(), Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Size: len(data)})
			} else {
				rec.Form[part.FormName()] = append(rec.Form[part.FormName()], string(data))
			}
		}
	}
	return rec
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.body.Len() < 1<<16 { // PNG files need not be kept
		s.body.Write(b)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
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
