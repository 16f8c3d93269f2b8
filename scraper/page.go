package scraper

import (
	"context"
	"errors"
	"fmt"
)

// This file is the seam for page sources (colly), which another task fills
// in. Requests for pages and article bodies should go through f.get with
// request{URL: link, Source: src.Page, Accept: "text/html"}: the shared
// client, limits, per-host delay (f.hosts) and the private-address policy of
// the source's own URL then apply to them as to feeds. release the response.

// errPageUnsupported stands in until page sources are implemented.
var errPageUnsupported = errors.New("page sources: not supported yet")

func (f *Fetcher) fetchPage(_ context.Context, src Source) Result {
	return Result{Source: src.Name, ETag: src.ETag, LastModified: src.LastModified,
		Err: fmt.Errorf("source %q: %s: %w", src.Name, src.Page, errPageUnsupported)}
}
