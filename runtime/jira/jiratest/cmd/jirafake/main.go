// Command jirafake runs the jiratest fake Jira site as its own process, for
// benchmarks and torture tests:
//
//	go run ./runtime/jira/jiratest/cmd/jirafake -issues 100000 -addr 127.0.0.1:0
//
// It prints the site's base URL on stdout (one line), then serves until
// SIGINT or SIGTERM. The issues are jiratest.Seed's (PLAT-1..PLAT-n),
// generated on demand. The control endpoint under /_fake/ (mutations,
// faults, counters, dump) is described in the jiratest package doc.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

func main() {
	issues := flag.Int("issues", 1000, "number of generated issues (PLAT-1..PLAT-n)")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	startAt := flag.String("start", "2026-03-01T09:00:00Z", "updated time of PLAT-1 (RFC 3339); each next issue is 90s later")
	email := flag.String("email", "", "require HTTP Basic auth with this email (and -token)")
	token := flag.String("token", "", "require this API token (Basic with -email, else Bearer)")
	lag := flag.Duration("index-lag", 0, "hide issues updated within this duration (eventual consistency)")
	logRequests := flag.Bool("log-requests", false, "keep a log of every request in memory (tests read it; long runs should not)")
	flag.Parse()
	start, err := time.Parse(time.RFC3339, *startAt)
	if err != nil {
		fmt.Fprintf(os.Stderr, "jirafake: -start %q: want an RFC 3339 time such as 2026-03-01T09:00:00Z\n", *startAt)
		os.Exit(2)
	}
	if *issues < 0 {
		fmt.Fprintf(os.Stderr, "jirafake: -issues %d is negative\n", *issues)
		os.Exit(2)
	}
	srv, err := jiratest.Listen(*addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "jirafake: %v\n", err)
		os.Exit(1)
	}
	srv.LogRequests(*logRequests)
	switch {
	case *email != "" && *token != "":
		srv.RequireBasic(*email, *token)
	case *token != "":
		srv.RequireBearer(*token)
	case *email != "":
		fmt.Fprintln(os.Stderr, "jirafake: -email needs -token")
		os.Exit(2)
	}
	srv.SetIndexLag(*lag)
	srv.Generate(*issues, start)
	fmt.Println(srv.URL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	srv.Close()
}
