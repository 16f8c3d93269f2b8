package digest

import (
	"context"
	"fmt"
	"newswatch/model"
	"time"
)

// failedChannels lists the deliveries through a notify channel of the
// named digest, composed since, that failed for good: the footer names
// each with its channel, so a broken webhook is seen by those who still
// get the mail. Only the digest's own: another digest's channels are none
// of its readers' business.
func (c *Composer) failedChannels(ctx context.Context, name string, since time.Time, format func(time.Time) string) ([]FailedDigest, error) {
	ds, err := c.Store.Deliveries(ctx, model.MessageFailed)
	if err != nil {
		return nil, fmt.Errorf("failed deliveries: %w", err)
	}
	var out []FailedDigest
	for _, d := range ds {
		if d.Message.Digest != name || d.Message.Created.Before(since) {
			continue
		}
		out = append(out, FailedDigest{Name: d.Message.Digest + " via " + d.Channel, Date: format(d.Message.Slot), Error: c.deliveryError(d.LastError)})
	}
	return out, nil
}
