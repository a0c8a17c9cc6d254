package runtime

import "time"

// DefaultRetry is the retry policy of a call step whose spec sets no
// retry: three attempts, one second apart at first, for the transient
// faults (a dropped connection, a 503) that every network call meets
// sooner or later. retry = { attempts = 1 } turns retrying off.
var DefaultRetry = Retry{Attempts: 3, Backoff: time.Second, MaxBackoff: 30 * time.Second}
