package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

const sendHelp = `
Usage: metasim send <scenario> [flags]
       metasim send --file body.json [flags]
       metasim send --list

Posts a realistic webhook body to the plugin, signed with X-Hub-Signature-256 exactly as
Meta signs it (HMAC-SHA256 of the raw bytes with the App Secret; non-ASCII escaped as
\uXXXX). Message IDs are new on every run, so repeated sends are new messages; the
default customers stay the same, so repeated sends continue the same lead
(--sender random starts a new one). The ID printed after a send can be passed as --mid
to a follow-up scenario (reaction, edit, unsend, read, delivery, comment edit/remove).

Exit codes: 0 the plugin answered 2xx, 1 it refused or could not be reached, 2 usage
(unknown scenario, missing App Secret, bad flags).
`

type sendFlags struct {
	url, secret  string
	opts         scenarioOptions
	file         string
	dryRun, list bool
	timeout      time.Duration
}

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var f sendFlags
	fs := newFlagSet("send", sendHelp, stderr)
	fs.StringVar(&f.url, "url", defaultWebhookURL, "the plugin's webhook `URL`")
	fs.StringVar(&f.secret, "secret", "", "Meta App `secret` to sign with (default: $META_APP_SECRET)")
	fs.StringVar(&f.opts.PageID, "page-id", defaultPageID, "Facebook Page `ID` (entry.id of page bodies)")
	fs.StringVar(&f.opts.IGID, "ig-id", defaultIGID, "Instagram professional account `ID` (entry.id of instagram bodies)")
	fs.StringVar(&f.opts.AppID, "app-id", defaultAppID, "Meta app `ID` of the plugin (app_id of messenger-echo)")
	fs.StringVar(&f.opts.Sender, "sender", "", "the customer's `ID` (PSID, IGSID or commenter ID); \"random\" for a new customer (default: the scenario's customer)")
	fs.StringVar(&f.opts.Text, "text", "", "message, comment or edit `text` (default: the scenario's text)")
	fs.StringVar(&f.opts.MID, "mid", "", "message or comment `ID`: the new one, or the one a reaction/edit/unsend/read/delivery/comment-edit refers to (default: a fresh ID)")
	fs.StringVar(&f.opts.MediaURL, "media-url", "", "attachment or story `URL` (default: <media-base>/media/<name>.png)")
	fs.StringVar(&f.opts.MediaBase, "media-base", "http://"+defaultGraphAddr, "`base URL` of default media (metasim graph serves /media/*.png there)")
	fs.StringVar(&f.file, "file", "", "send this JSON `file` byte for byte instead of a scenario")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the body (stdout) and signature (stderr); send nothing")
	fs.BoolVar(&f.list, "list", false, "list the scenarios with a one-line description")
	fs.DurationVar(&f.timeout, "timeout", 15*time.Second, "how long to wait for the plugin's answer")
	positional, err := fs.parse(args)
	if err != nil {
		return fs.exit(err, stdout, stderr)
	}
	if f.list {
		listScenarios(stdout)
		return exitOK
	}
	body, label, err := f.body(positional)
	if err != nil {
		return fs.exit(err, stdout, stderr)
	}
	if f.secret == "" {
		f.secret = getenv("META_APP_SECRET")
	}

	// A dry run prints only the body on stdout, so that it can be saved and replayed
	// with --file; everything else goes to stderr then.
	info := stdout
	if f.dryRun {
		info = stderr
	}
	fmt.Fprintf(info, "%s → %s\n", label, f.url)
	fmt.Fprintf(info, "  %s\n", summarize(body))
	if f.dryRun {
		if f.secret == "" {
			fmt.Fprintln(info, "  X-Hub-Signature-256: (none: no App Secret; pass --secret or set META_APP_SECRET)")
		} else {
			fmt.Fprintf(info, "  X-Hub-Signature-256: %s\n", meta.Sign(f.secret, body))
		}
		fmt.Fprintln(info, "  (dry run: nothing sent)")
		fmt.Fprintf(stdout, "%s\n", body)
		return exitOK
	}
	if f.secret == "" {
		fmt.Fprintln(stderr, "metasim: no App Secret: pass --secret or set META_APP_SECRET")
		return exitUsage
	}

	client := &http.Client{Timeout: f.timeout}
	res, err := deliver(ctx, client, f.url, f.secret, body)
	if err != nil {
		fmt.Fprintln(stderr, "metasim:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "HTTP %d %s (%s)%s\n", res.Status, http.StatusText(res.Status), res.Elapsed.Round(time.Millisecond), bodySuffix(res.Body))
	if err := explainStatus(f.url, res.Status, res.Body); err != nil {
		fmt.Fprintln(stderr, "metasim:", err)
		return exitFailure
	}
	return exitOK
}

// body builds the scenario's body, or reads --file.
func (f *sendFlags) body(positional []string) (body []byte, label string, err error) {
	if f.file != "" {
		if len(positional) > 0 {
			return nil, "", usageErrorf("give either a scenario or --file, not both")
		}
		body, err := os.ReadFile(f.file)
		if err != nil {
			return nil, "", usageErrorf("read --file: %v", err)
		}
		return body, f.file, nil
	}
	switch len(positional) {
	case 0:
		return nil, "", usageErrorf("name a scenario (metasim send --list shows them) or pass --file")
	case 1:
	default:
		return nil, "", usageErrorf("one scenario at a time (got %s)", strings.Join(positional, " "))
	}
	sc, ok := findScenario(positional[0])
	if !ok {
		return nil, "", usageErrorf("unknown scenario %q (metasim send --list shows them)", positional[0])
	}
	f.opts.Now = time.Now()
	b := sc.build(f.opts)
	body, err = encodeWebhook(b.Webhook)
	if err != nil {
		return nil, "", err
	}
	label = sc.Name
	if b.ID != "" {
		label += " (" + b.IDLabel + " " + b.ID + ")"
	}
	return body, label, nil
}

func listScenarios(w io.Writer) {
	fmt.Fprintln(w, "Scenarios (metasim send <scenario>):")
	for _, s := range scenarios() {
		fmt.Fprintf(w, "  %-30s %s\n", s.Name, s.Summary)
	}
}

// delivery is the plugin's answer to one webhook POST.
type delivery struct {
	Status  int
	Body    []byte
	Elapsed time.Duration
}

// deliver POSTs body to the webhook the way Meta does, signed with secret.
func deliver(ctx context.Context, client *http.Client, url, secret string, body []byte) (*delivery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, errors.Wrapf(err, "bad webhook URL %q", url)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(meta.SignatureHeader, meta.Sign(secret, body))
	req.Header.Set("User-Agent", "facebookexternalua")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, unreachable(url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	elapsed := time.Since(start)
	if err != nil {
		return nil, errors.Wrapf(err, "read the answer of %s", url)
	}
	return &delivery{Status: resp.StatusCode, Body: answer, Elapsed: elapsed}, nil
}

// unreachable explains a transport error.
func unreachable(url string, err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errors.Errorf("cannot reach %s: is Mattermost running and the plugin enabled?", url)
	}
	if errors.Is(err, context.Canceled) {
		return errors.Errorf("interrupted before %s answered", url)
	}
	return errors.Errorf("cannot reach %s: is Mattermost running and the plugin enabled? (%v)", url, rootCause(err))
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// explainStatus turns a non-2xx answer of the webhook into what to check.
func explainStatus(url string, status int, body []byte) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return errors.Errorf("the plugin refused the signature: check --secret matches the plugin's Meta App Secret (HTTP %d)", status)
	case status == http.StatusNotFound:
		return errors.Errorf("no webhook at %s: check the plugin is enabled and the URL", url)
	case status == http.StatusServiceUnavailable:
		reason := oneLine(body, 300)
		if reason == "" {
			reason = "no reason given; the plugin answers 503 when no Meta App Secret is configured"
		}
		return errors.Errorf("the plugin did not accept the delivery (HTTP 503): %s", reason)
	case status == http.StatusRequestEntityTooLarge:
		return errors.Errorf("the plugin refused the body as too large (HTTP 413)")
	case status == http.StatusBadRequest:
		return errors.Errorf("the plugin could not read the body (HTTP 400): %s", oneLine(body, 300))
	}
	return errors.Errorf("the plugin answered HTTP %d: %s", status, oneLine(body, 300))
}

func bodySuffix(body []byte) string {
	if s := oneLine(body, 300); s != "" {
		return ": " + s
	}
	return ""
}

// oneLine shortens an answer body for a terminal line.
func oneLine(b []byte, limit int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// summarize says what the plugin's own normaliser makes of a body.
func summarize(body []byte) string {
	batch, err := meta.Parse(body)
	if err != nil {
		return "meta.Parse refuses this body: " + err.Error()
	}
	var parts []string
	if len(batch.Events) == 1 {
		ev := batch.Events[0]
		detail := fmt.Sprintf("%s (%s account %s, customer %s", ev.Kind, ev.Platform, ev.AccountID, ev.CustomerID)
		if ev.Standby {
			detail += ", standby"
		}
		parts = append(parts, "event: "+detail+")")
	} else if len(batch.Events) > 1 {
		parts = append(parts, "events: "+countKinds(batch))
	}
	if len(batch.Skips) > 0 {
		reasons := map[string]int{}
		for _, s := range batch.Skips {
			reasons[s.Reason]++
		}
		parts = append(parts, "skipped by the normaliser: "+joinCounts(reasons))
	}
	if len(parts) == 0 {
		return "no events"
	}
	return strings.Join(parts, "; ")
}

func countKinds(b *meta.Batch) string {
	counts := map[string]int{}
	for _, ev := range b.Events {
		counts[string(ev.Kind)]++
	}
	return joinCounts(counts)
}

func joinCounts(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(out, ", ")
}
