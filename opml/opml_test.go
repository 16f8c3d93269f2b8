package opml

import (
	"bytes"
	"reflect"
	"testing"
)

// TestFeeds: feed outlines in folders come before their folder's own,
// named by text, else title, else URL; outlines without xmlUrl are
// folders, not feeds.
func TestFeeds(t *testing.T) {
	doc := []byte(`<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="Folder">
  <outline text="  The   Record " xmlUrl=" https://therecord.media/feed "/>
  <outline title="Titled" xmlUrl="https://a.example/rss"/>
</outline>
<outline xmlUrl="https://b.example/atom"/>
</body></opml>`)
	got, err := Feeds(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{{"The Record", "https://therecord.media/feed"}, {"Titled", "https://a.example/rss"}, {"https://b.example/atom", "https://b.example/atom"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Feeds = %v, want %v", got, want)
	}
	if _, err := Feeds([]byte("not xml <")); err == nil {
		t.Error("Feeds of a non-OPML file: no error")
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
