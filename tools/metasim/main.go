// Command metasim plays Meta's side of the Social Inbox plugin on a workstation, the way
// `stripe trigger` / `stripe listen` do for Stripe webhooks:
//
//	metasim send <scenario>   post a realistic, correctly signed webhook to the plugin
//	metasim graph             run a local stand-in for the Graph API endpoints the plugin calls
//	metasim load              send many messages and check what the plugin made of them
//
// Bodies are built with the plugin's own payload types (server/meta) and signed with its
// own meta.Sign, so the simulator and the plugin cannot drift apart. See docs/metasim.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Defaults shared by the commands: the fake business of shared/meta-samples.
const (
	defaultWebhookURL = "http://localhost:8065/plugins/social-inbox/webhook/meta"
	defaultServerURL  = "http://localhost:8065"
	defaultPageID     = "108245671983342"
	defaultIGID       = "17841459302718465"
	defaultAppID      = "1438265907712354"
	defaultGraphAddr  = "127.0.0.1:8787"
	webhookPath       = "/plugins/social-inbox/webhook/meta"
)

// env reads the environment; tests pass their own.
type env func(string) string

// command is one metasim subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int
}

func commands() []command {
	return []command{
		{"send", "post a signed webhook for a scenario (or a JSON file) to the plugin", runSend},
		{"graph", "run a local stand-in for the Graph API (Send API, profiles, subscribed_apps, ...)", runGraph},
		{"load", "send many messages concurrently and count the posts and lead channels created", runLoad},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C the commands wind down; a second one ends the process.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run dispatches to a command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run(ctx, []string{"-h"}, stdout, stdout, getenv)
				}
			}
			fmt.Fprintf(stderr, "metasim: unknown command %q\n\n", args[1])
			usage(stderr)
			return exitUsage
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], stdout, stderr, getenv)
		}
	}
	fmt.Fprintf(stderr, "metasim: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `metasim plays Meta (Facebook Messenger, Instagram) for the Social Inbox plugin.

Usage:
  go run ./tools/metasim <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-6s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help   show this text, or "help <command>" for a command's flags

Examples:
  metasim send --list
  metasim send messenger-text --secret "$META_APP_SECRET"
  metasim send instagram-comment --text "Price for this one?" --dry-run
  metasim graph --token "$PAGE_TOKEN"
  metasim load --messages 1000 --senders 50 --concurrency 8 --team sales

Exit codes: 0 success, 1 failure (refused, unreachable, counts do not match), 2 usage error.
The App Secret comes from --secret or META_APP_SECRET; the Mattermost admin token for load
from --token or MM_ADMIN_TOKEN. Neither is ever printed.
`)
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// flagSet is a command's flags with the text that introduces them in the help.
type flagSet struct {
	*flag.FlagSet
	header string
}

// newFlagSet builds a command's flag set. Parse errors go to stderr; the help (-h) goes
// to stdout, through exit.
func newFlagSet(name, header string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, header: header}
}

// parse parses flags that may come before or after positional arguments
// (`send messenger-text --secret x` as well as `send --secret x messenger-text`) and
// returns the positional arguments.
func (fs *flagSet) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// help writes the command's usage text and its flags.
func (fs *flagSet) help(w io.Writer) {
	fmt.Fprint(w, strings.TrimLeft(fs.header, "\n"))
	fmt.Fprintln(w, "\nFlags:")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// exit turns a command-line error into an exit code and a message: -h prints the help
// and succeeds, anything else is a usage error.
func (fs *flagSet) exit(err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fs.help(stdout)
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "metasim:", ue.msg)
	}
	fmt.Fprintf(stderr, "Run \"metasim %s -h\" for the flags.\n", fs.Name())
	return exitUsage
}
