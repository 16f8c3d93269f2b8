package app

import (
	"fmt"
	"slices"
	"testing"

	"newswatch/deliver"
)

// TestAcceptedFor: the answer of a partial delivery names the recipients
// the server took, not those it refused (keyed by bare address, any case).
func TestAcceptedFor(t *testing.T) {
	to := []string{"a@example.org", "Bob <b@example.org>", "c@example.org"}
	err := fmt.Errorf("send: %w", &deliver.SendError{Delivered: true, Rejected: map[string]string{"b@example.org": "550 no such user", "C@Example.org": "450 try later"}})
	if got := acceptedFor(to, err); !slices.Equal(got, []string{"a@example.org"}) {
		t.Errorf("acceptedFor = %v, want [a@example.org]", got)
	}
	if got := acceptedFor(to, nil); !slices.Equal(got, to) {
		t.Errorf("acceptedFor with no error = %v, want every recipient", got)
	}
}
