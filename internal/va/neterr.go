package va

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/quarry-ca/quarry/internal/core"
)

// connPhase says how far a connection got, which decides what a time-out
// means to the subscriber.
type connPhase int

const (
	phaseConnect connPhase = iota
	phaseConnected
)

// describe turns a network error into a kind and a reason safe to show a
// subscriber; it never passes internal error text through.
func describe(err error, phase connPhase) (core.Kind, string) {
	var refused *refusedAddrError
	var ce *core.Error
	var recordErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &refused):
		return core.ErrConnection, refused.Error()
	case errors.As(err, &ce):
		return ce.Kind, ce.Detail
	case isTimeout(err) && phase == phaseConnect:
		return core.ErrConnection, "Timeout during connect (likely firewall problem)"
	case isTimeout(err):
		return core.ErrConnection, "Timeout after connect (your server may be slow or overloaded)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return core.ErrConnection, "Connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return core.ErrConnection, "Connection reset by peer"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return core.ErrConnection, "Network unreachable"
	case errors.As(err, &recordErr):
		return core.ErrTLS, "Server does not speak TLS"
	case errors.As(err, &certErr), errors.As(err, &invalidErr):
		return core.ErrTLS, "Server sent an unparsable or invalid certificate"
	case isTLSAlert(err):
		return core.ErrTLS, "TLS handshake failed: " + tlsAlertText(err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return core.ErrConnection, "Connection closed by peer"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return core.ErrConnection, "Error connecting"
	}
	return core.ErrConnection, "Error getting validation data"
}

// isTLSAlert reports a TLS alert from the peer or a handshake failure the
// TLS library describes; both are about the subscriber's server.
func isTLSAlert(err error) bool {
	return tlsAlertText(err) != ""
}

// tlsAlertText returns crypto/tls's description of the failure, such as
// "tls: no application protocol", or "" when err is not a TLS failure.
func tlsAlertText(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" && opErr.Err != nil {
		return "remote error: " + truncate(opErr.Err.Error(), 120)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if msg := e.Error(); len(msg) > 5 && msg[:5] == "tls: " {
			return truncate(msg, 120)
		}
	}
	return ""
}
