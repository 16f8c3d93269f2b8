// Command newswatch watches news sources for tracked companies and topics
// and delivers one grouped digest per schedule. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // zones work in a scratch or distroless image

	"newswatch/internal/gcpolicy"
)

func main() {
	gcpolicy.Apply()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
