package client

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// RenewalInfo fetches the server's suggested renewal window for cert (RFC
// 9773) and the Retry-After saying when to ask again (zero if not sent). It
// fails with core.ErrNotFound when the directory has no renewalInfo.
func (c *Client) RenewalInfo(ctx context.Context, cert *x509.Certificate) (*acme.RenewalInfo, time.Duration, error) {
	id, err := ARICertID(cert)
	if err != nil {
		return nil, 0, err
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		return nil, 0, err
	}
	if dir.RenewalInfo == "" {
		return nil, 0, core.Errorf(core.ErrNotFound, "server offers no renewal information")
	}
	res, err := c.get(ctx, strings.TrimSuffix(dir.RenewalInfo, "/")+"/"+id)
	if err != nil {
		return nil, 0, fmt.Errorf("fetching renewal information: %w", err)
	}
	info := new(acme.RenewalInfo)
	if err := json.Unmarshal(res.body, info); err != nil {
		return nil, 0, fmt.Errorf("decoding renewal information: %w", err)
	}
	if info.SuggestedWindow.End.Before(info.SuggestedWindow.Start) {
		return nil, 0, fmt.Errorf("renewal window ends before it starts")
	}
	ra, _ := retryAfter(res.header, c.now())
	return info, ra, nil
}

// ARICertID returns cert's RFC 9773 identifier: base64url of the authority
// key identifier's keyIdentifier, ".", base64url of the serial number's DER
// content octets (with any leading zero byte kept).
func ARICertID(cert *x509.Certificate) (string, error) {
	if len(cert.AuthorityKeyId) == 0 {
		return "", core.Errorf(core.ErrMalformed, "certificate has no authority key identifier")
	}
	if cert.SerialNumber == nil {
		return "", core.Errorf(core.ErrMalformed, "certificate has no serial number")
	}
	der, err := asn1.Marshal(cert.SerialNumber)
	if err != nil {
		return "", fmt.Errorf("encoding serial: %w", err)
	}
	var serial asn1.RawValue
	if _, err := asn1.Unmarshal(der, &serial); err != nil {
		return "", fmt.Errorf("decoding serial: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(cert.AuthorityKeyId) + "." + enc.EncodeToString(serial.Bytes), nil
}
