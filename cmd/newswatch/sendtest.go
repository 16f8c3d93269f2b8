package main

import (
	"context"
	"fmt"
	"io"
)

// sendTest sends a short test message for the named digest (the first when
// name is empty) through each of its channels now, whatever is pending,
// recording nothing; to, when set, replaces the digest's recipients.
func (a *cli) sendTest(ctx context.Context, w io.Writer, name, to string) error {
	if len(a.Config.Digests) == 0 {
		return usagef("no [[digests]] in %s: a test message is sent as one of them", a.Config.Path)
	}
	d := a.Config.Digests[0]
	if name != "" {
		specs, err := a.specs([]string{name})
		if err != nil {
			return err
		}
		for _, c := range a.Config.Digests {
			if c.Name == specs[0].Name {
				d = c
			}
		}
	}
	rcpt := d.To
	if to != "" {
		rcpt = []string{to}
	}
	m, err := a.TestMessage(d, rcpt)
	if err != nil {
		return err
	}
	failed := 0
	if to != "" && len(d.Notify) > 0 {
		fmt.Fprintf(w, "%s: -to tests the mail alone: the %d notify %s not tried\n", d.Name, len(d.Notify), plural(len(d.Notify), "channel is", "channels are"))
	}
	for _, c := range a.TestChannels(d, rcpt, to != "") {
		answer, err := c.Send(ctx, m)
		if err != nil {
			failed++
			fmt.Fprintf(w, "%s: test message failed (%s): %v\n", d.Name, c.Kind, err)
			continue
		}
		fmt.Fprintf(w, "%s: test message %s\n", d.Name, answer)
	}
	if failed > 0 {
		return fmt.Errorf("the test message could not be delivered through %d %s", failed, plural(failed, "channel", "channels"))
	}
	return nil
}
