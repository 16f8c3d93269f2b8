package app

import (
	"slices"

	"newswatch/config"
)

// removedSourceError stands for the recorded error of a source the
// configuration no longer names: its URL, and so the secrets to take out
// of the message, are not known any more.
const removedSourceError = "failed (a source no longer configured; its error is not shown)"

// SourceMask returns how cfg shows an error recorded for a source (the
// digest's footer, `status`): with the secrets of that source's URLs
// masked (config.Source.MaskSecrets), as an error stored before errors
// were masked still needs; for a source cfg does not name, the fixed
// removedSourceError. Masking a masked error again changes nothing.
func SourceMask(cfg *config.Config) func(source, text string) string {
	byName := map[string]config.Source{}
	for _, s := range cfg.PausedSources {
		byName[s.Name] = s
	}
	for _, s := range cfg.Sources {
		byName[s.Name] = s
	}
	return func(source, text string) string {
		if text == "" {
			return ""
		}
		s, ok := byName[source]
		if !ok {
			return removedSourceError
		}
		return s.MaskSecrets(text)
	}
}

// DeliveryMask returns how cfg shows an error recorded for a delivery, a
// digest's mail or one of its channels (the digest's footer, status,
// /healthz): with the secrets of every URL cfg names masked, paused ones
// included, since a mail server or a webhook's answer may quote any of
// them and the footer goes to every reader. Each digest's notify URLs
// are masked with their parts wherever they stand (config.MaskSecrets: a
// chat library may quote a token alone); a source's feed and page where
// the error quotes them (config.MaskQuoted), so that a part of them
// ("true" of "full=true") does not hide the same word in the answer.
// Masking a masked error again changes nothing.
func DeliveryMask(cfg *config.Config) func(text string) string {
	var sources, notify []string
	for _, s := range append(slices.Clone(cfg.Sources), cfg.PausedSources...) {
		sources = append(sources, s.Feed, s.Page)
	}
	for _, d := range append(slices.Clone(cfg.Digests), cfg.PausedDigests...) {
		notify = append(notify, d.Notify...)
	}
	return func(text string) string {
		return config.MaskSecrets(config.MaskQuoted(text, sources...), notify...)
	}
}
