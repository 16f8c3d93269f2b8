package scraper

import (
	"context"
	"errors"
	"fmt"
)

// errPageUnsupported stands in until page sources (colly) are implemented
// here: this file is the seam, replaced by the page-source task.
var errPageUnsupported = errors.New("page sources: not supported yet")

func (f *Fetcher) fetchPage(_ context.Context, src Source) Result {
	return Result{Source: src.Name, ETag: src.ETag, LastModified: src.LastModified,
		Err: fmt.Errorf("source %q: %s: %w", src.Name, src.Page, errPageUnsupported)}
}
