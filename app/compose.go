package app

import "newswatch/config"

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
