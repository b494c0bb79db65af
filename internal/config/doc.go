// Package config defines Quarry's configuration file: strict YAML decoding
// (unknown keys are errors), safe defaults, presets, and Validate.
//
// It imports only the standard library, the YAML decoder and
// golang.org/x/net/publicsuffix (to check rate-limit overrides); cmd/ applies
// flags and environment on top of what it returns.
package config
