package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
)

func TestErrorKind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "problem", err: fmt.Errorf("creating order: %w", &client.Error{StatusCode: 400, Problem: acme.Problem{Type: acme.ProblemRejectedIdentifier}}),
			want: string(acme.ProblemRejectedIdentifier)},
		{name: "status without problem", err: &client.Error{StatusCode: 502}, want: "http 502 without a problem document"},
		{name: "invalid object", err: &client.Error{}, want: "object ended invalid without a problem"},
		{name: "not loopback", err: &url.Error{Op: "Post", URL: "x", Err: &NotLoopbackError{Host: "x", Addr: "192.0.2.1"}}, want: "refused: not loopback"},
		{name: "transport", err: &url.Error{Op: "Post", URL: "x", Err: errors.New("connection refused")}, want: "transport"},
		{name: "deadline", err: context.DeadlineExceeded, want: "transport"},
		{name: "local", err: errors.New("generating key"), want: "client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorKind(tt.err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
