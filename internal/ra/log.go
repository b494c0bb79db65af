package ra

import "log/slog"

// slogAudit marks issuance, revocation and key events; above warn so a
// quiet log level never drops them.
const slogAudit = slog.Level(10)

func attrAcct(id int64) slog.Attr { return slog.Int64("account", id) }
