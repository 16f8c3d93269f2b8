package opml

import (
	"bytes"
	"reflect"
	"testing"
)

// TestFeeds: feed outlines in folders come before their folder's own,
// named by text, else title, else URL; outlines without xmlUrl are
// folders, not feeds; a document that is not OPML (an RSS feed given by
// mistake) is an error, not an empty list.
func TestFeeds(t *testing.T) {
	doc := []byte(`<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="Folder">
  <outline text="  The   Record " xmlUrl=" https://therecord.media/feed "/>
  <outline title="Titled" xmlUrl="https://a.example/rss"/>
</outline>
<outline xmlUrl="https://b.example/atom"/>
<outline text="Both" title="Not this" xmlUrl="https://c.example/feed">
  <outline text="Inside a feed" xmlUrl="https://d.example/feed"/>
</outline>
</body></opml>`)
	got, err := Feeds(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{{"The Record", "https://therecord.media/feed"}, {"Titled", "https://a.example/rss"}, {"https://b.example/atom", "https://b.example/atom"},
		{"Inside a feed", "https://d.example/feed"}, {"Both", "https://c.example/feed"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Feeds = %v, want %v", got, want)
	}
	for _, other := range []string{"not xml <", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>`} {
		if _, err := Feeds([]byte(other)); err == nil {
			t.Errorf("Feeds(%q): no error, want one saying it is not OPML", other)
		}
	}
}

// TestWriteReadBack: what Write writes, Feeds reads back.
func TestWriteReadBack(t *testing.T) {
	feeds := []Feed{{"A & B", "https://a.example/feed?x=1&y=2"}, {"C", "https://c.example/rss"}}
	var b bytes.Buffer
	if err := Write(&b, "newswatch sources", feeds); err != nil {
		t.Fatal(err)
	}
	got, err := Feeds(b.Bytes())
	if err != nil || !reflect.DeepEqual(got, feeds) {
		t.Errorf("read back %v, %v; want %v\n%s", got, err, feeds, b.String())
	}
}
