package aiobs

import (
	"context"
	"math"
	"time"
)

// defaultShutdownTimeout bounds Shutdown when ctx has no deadline.
const defaultShutdownTimeout = 5 * time.Second

// Shutdown exports what the OTLP exporter still holds (configured with Configure's "otlp" object
// or the OTEL_* environment variables) and stops its background thread, waiting until ctx's
// deadline (5 s when it has none). Call it last, after the final Flush:
//
//	defer aiobs.Shutdown(context.Background())
//
// It returns nil when everything pending went out or no exporter runs, and ErrTimeout when the
// time ran out (what was pending is dropped and counted in Stats.OTLP). Recording goes on
// afterwards and the JSON file is unaffected; export resumes at the next Configure. Safe for
// concurrent use and to call more than once.
func Shutdown(ctx context.Context) error {
	timeout := defaultShutdownTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(deadline), 0)
	}
	recordPending()
	return shutdown(uint32(min(timeout.Milliseconds(), math.MaxUint32)))
}
