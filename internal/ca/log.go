package ca

import "log/slog"

// levelAudit marks audit events (key creation, issuance) above Error so no
// log level setting hides them; the same level the ra uses.
const levelAudit = slog.Level(10)
