package va

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// refusedAddrError is a dial the SSRF guard stopped.
type refusedAddrError struct {
	addr  netip.Addr
	class string
}

func (e *refusedAddrError) Error() string {
	return fmt.Sprintf("%s is a disallowed address (%s)", e.addr, e.class)
}

// dialResult says which address a dial ended on, so details and records
// can name it even when it failed.
type dialResult struct {
	conn net.Conn
	addr netip.Addr // the address connected to, or the last one tried
	err  error
}

// dial connects to the first of addrs that accepts on port. Each address
// passes the guard twice: here, and in the socket's Control hook, which
// sees the address the kernel is actually given.
func (v *VA) dial(ctx context.Context, addrs []netip.Addr, port int) dialResult {
	var res dialResult
	for i, a := range addrs {
		res.addr = a
		if class := v.guard.refused(a); class != "" {
			res.err = &refusedAddrError{addr: a, class: class}
			continue
		}
		dctx, cancel := v.attemptContext(ctx, len(addrs)-i)
		d := net.Dialer{Control: v.controlGuard}
		conn, err := d.DialContext(dctx, "tcp", netip.AddrPortFrom(a, uint16(port)).String())
		cancel()
		if err == nil {
			return dialResult{conn: conn, addr: a}
		}
		res.err = err
		if ctx.Err() != nil {
			break
		}
	}
	if res.err == nil {
		res.err = core.Errorf(core.ErrConnection, "no addresses to connect to")
	}
	return res
}

// attemptContext leaves time for later addresses: while others remain an
// attempt gets half of what is left.
func (v *VA) attemptContext(ctx context.Context, remaining int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || remaining <= 1 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Until(deadline)/2)
}

// controlGuard refuses a socket whose destination the guard disallows.
func (v *VA) controlGuard(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("parsing dial address %q: %w", address, err)
	}
	if class := v.guard.refused(ap.Addr()); class != "" {
		return &refusedAddrError{addr: ap.Addr(), class: class}
	}
	return nil
}
