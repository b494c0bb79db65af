package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Order is an order resource, its URL, and the server's Retry-After for it
// (zero when none was sent).
type Order struct {
	URL string
	acme.Order
	RetryAfter time.Duration
}

// NewOrder asks for a certificate for req's identifiers.
func (c *Client) NewOrder(ctx context.Context, req acme.NewOrderRequest) (*Order, error) {
	if len(req.Identifiers) == 0 {
		return nil, core.Errorf(core.ErrMalformed, "new order: no identifiers")
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		return nil, err
	}
	o, err := c.orderRequest(ctx, dir.NewOrder, req)
	if err != nil {
		return nil, fmt.Errorf("creating order: %w", err)
	}
	if o.URL == "" {
		return nil, fmt.Errorf("newOrder answered without a Location")
	}
	return o, nil
}

// GetOrder fetches an order.
func (c *Client) GetOrder(ctx context.Context, url string) (*Order, error) {
	o, err := c.orderRequest(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching order: %w", err)
	}
	o.URL = url
	return o, nil
}

// WaitOrder polls an order until it is neither pending nor processing. An
// order that ends invalid is returned together with an *Error holding its
// problem.
func (c *Client) WaitOrder(ctx context.Context, url string) (*Order, error) {
	var o *Order
	err := c.poll(ctx, func(ctx context.Context) (time.Duration, bool, error) {
		var err error
		if o, err = c.GetOrder(ctx, url); err != nil {
			return 0, false, err
		}
		switch o.Status {
		case acme.StatusPending, acme.StatusProcessing:
			return o.RetryAfter, false, nil
		case acme.StatusReady, acme.StatusValid:
			return 0, true, nil
		}
		return 0, true, stateError("order", url, o.Status, o.Error)
	})
	if err != nil && o == nil {
		return nil, err
	}
	return o, err
}

// Finalize sends the CSR (DER) for a ready order. The answer is often still
// processing; WaitOrder then waits for the certificate URL.
func (c *Client) Finalize(ctx context.Context, finalizeURL string, csrDER []byte) (*Order, error) {
	req := acme.FinalizeRequest{CSR: base64.RawURLEncoding.EncodeToString(csrDER)}
	o, err := c.orderRequest(ctx, finalizeURL, req)
	if err != nil {
		return nil, fmt.Errorf("finalizing order: %w", err)
	}
	return o, nil
}

// orderRequest posts body (nil for POST-as-GET) and reads an order back.
func (c *Client) orderRequest(ctx context.Context, url string, body any) (*Order, error) {
	o := new(Order)
	res, err := c.postJSON(ctx, url, body, &o.Order)
	if err != nil {
		return nil, err
	}
	o.URL = res.location()
	o.RetryAfter, _ = retryAfter(res.header, c.now())
	return o, nil
}
