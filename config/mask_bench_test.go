package config

import (
	"fmt"
	"testing"
)

// BenchmarkDeliveryMask: masking one delivery error with the URLs of a
// configuration of 20,000 sources (a tenth with a query token) and a
// digest's notify URL, as /healthz and status do for each failed
// delivery; the mask is made once per page.
func BenchmarkDeliveryMask(b *testing.B) {
	cfg := &Config{Digests: []Digest{{Name: "Brief", Notify: []string{"https://hooks.example.org/in?token=HOOKSECRET"}}}}
	for i := range 20000 {
		feed := fmt.Sprintf("https://site%d.example.org/rss", i)
		if i%10 == 0 {
			feed += fmt.Sprintf("?apikey=key%dSECRET", i)
		}
		cfg.Sources = append(cfg.Sources, Source{Name: fmt.Sprint(i), Feed: feed})
	}
	const text = `webhook https://hooks.example.org/in?token=HOOKSECRET: 400 Bad Request: {"error":"invalid json body"}`
	mask := DeliveryMask(cfg)
	b.ResetTimer()
	for b.Loop() {
		mask(text)
	}
}
