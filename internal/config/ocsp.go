package config

import (
	"fmt"
	"time"
)

// OCSP configures the optional OCSP responder (RFC 6960). Sharded CRLs
// remain the primary revocation mechanism; OCSP is for private PKIs whose
// servers staple.
type OCSP struct {
	// Enable serves OCSP at <issuer-url>/ocsp and names that URL in the
	// AIA of every certificate issued from then on. Off by default.
	Enable bool `yaml:"enable"`
	// ResponseValidity is nextUpdate - thisUpdate of each response:
	// at least 8h and less than 10d (BRs 4.9.10, which count the interval inclusively). Default 4d.
	ResponseValidity Duration `yaml:"response-validity"`
	// RefreshBefore re-signs a response once less than this is left before
	// its nextUpdate. Default 1d, so no response served is older than 3d
	// (the BRs ask for at most 4) and each has at least 1d left (they ask
	// for 8h).
	RefreshBefore Duration `yaml:"refresh-before"`
	// DelegatedResponder signs with a short-lived responder certificate
	// each intermediate issues (EKU OCSPSigning, id-pkix-ocsp-nocheck,
	// three response validities long, replaced after one), keeping the
	// intermediate's key for certificates. Off: the intermediate signs.
	DelegatedResponder bool `yaml:"delegated-responder"`
	// CacheMaxAge caps the HTTP Cache-Control max-age, so caches in front
	// of the responder pick up a revocation soon. Default 1h.
	CacheMaxAge Duration `yaml:"cache-max-age"`
}

func defaultOCSP() OCSP {
	return OCSP{
		ResponseValidity: Duration(4 * 24 * time.Hour),
		RefreshBefore:    Duration(24 * time.Hour),
		CacheMaxAge:      Duration(time.Hour),
	}
}

func (o OCSP) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	// The BRs count the validity interval inclusively (nextUpdate -
	// thisUpdate + 1s), so exactly 10d would be one second too long.
	if o.ResponseValidity < Duration(8*time.Hour) || o.ResponseValidity >= Duration(10*24*time.Hour) {
		bad("ocsp.response-validity: must be at least 8h and less than 10d")
	}
	if o.RefreshBefore <= 0 || o.RefreshBefore >= o.ResponseValidity {
		bad("ocsp.refresh-before: must be positive and shorter than ocsp.response-validity")
	}
	if o.CacheMaxAge <= 0 {
		bad("ocsp.cache-max-age: must be positive")
	}
	return errs
}
