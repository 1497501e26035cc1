package command

import (
	"testing"
	"time"
)

func TestSpanReadsLikeACountdown(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "less than a minute",
		59 * time.Second:                "less than a minute",
		time.Minute:                     "1m",
		59*time.Minute + 59*time.Second: "59m",
		time.Hour:                       "1h",
		5*time.Hour + 12*time.Minute:    "5h 12m",
		23*time.Hour + 59*time.Minute:   "23h 59m",
		24 * time.Hour:                  "1d",
		3*24*time.Hour + 4*time.Hour:    "3d 4h",
		-(2*time.Hour + 30*time.Minute): "2h 30m",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseKeepsTheRestAsTyped(t *testing.T) {
	for line, want := range map[string]request{
		"/social":                 {},
		"/social note  a  b\nc ":  {sub: "note", rest: "a  b\nc"},
		"/Social CLOSE Sold":      {sub: "close", rest: "Sold"},
		"social queue mine":       {sub: "queue", rest: "mine"},
		"/social\ttransfer\t@bob": {sub: "transfer", rest: "@bob"},
		"/socialx claim":          {sub: "/socialx", rest: "claim"},
	} {
		if got := parse(line); got != want {
			t.Errorf("parse(%q) = %+v, want %+v", line, got, want)
		}
	}
}

func TestDeadlineIsTheLastMomentToAnswer(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	in := func(d time.Duration) time.Time { return now.Add(d) }
	cases := []struct {
		name string
		w    Window
		want time.Time
	}{
		{"24-hour window open", Window{StandardUntil: in(time.Hour), HumanAgentUntil: in(100 * time.Hour), HumanAgentEnabled: true}, in(time.Hour)},
		{"Human Agent window when enabled", Window{StandardUntil: in(-time.Hour), HumanAgentUntil: in(100 * time.Hour), HumanAgentEnabled: true}, in(100 * time.Hour)},
		{"no Human Agent window when not enabled", Window{StandardUntil: in(-time.Hour), HumanAgentUntil: in(100 * time.Hour)}, time.Time{}},
		{"a comment's private reply", Window{PrivateReplyUntil: in(5 * time.Hour)}, in(5 * time.Hour)},
		{"nothing left", Window{StandardUntil: in(-time.Hour), PrivateReplyUntil: in(-time.Minute)}, time.Time{}},
	}
	for _, tc := range cases {
		if got := deadline(tc.w, now); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
