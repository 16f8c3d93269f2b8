package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func cmdVersion(ctx context.Context, e *env, args []string) error {
	if _, err := e.parse(e.flags("version"), args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "newswatch %s\n", versionString())
	return nil
}

// versionString is the version set at build time, else the module's, then
// the commit it was built from (with "+dirty" for uncommitted changes) when
// the build recorded it.
func versionString() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "dev"
		if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	if !ok {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified == "true" {
			rev += "+dirty"
		}
		v += " (commit " + rev + ")"
	}
	return v
}
