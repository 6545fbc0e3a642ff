package aiobs

import "encoding/json"

// Stats is the state of the core's store: what is held for the next flush and what was lost.
type Stats struct {
	// EventsHeld counts calls and ended spans recorded and not yet flushed.
	EventsHeld int64 `json:"events_held"`
	// BytesHeld is the memory those events and the open spans hold.
	BytesHeld int64 `json:"bytes_held"`
	// EventsDropped counts events refused since the process started because the store was full
	// (the core's max_memory_bytes setting).
	EventsDropped int64 `json:"events_dropped"`
	// OpenSpans counts spans begun and not yet ended.
	OpenSpans int64 `json:"open_spans"`
	// SpansAbandoned counts spans the core closed because they stayed open too long.
	SpansAbandoned int64 `json:"spans_abandoned"`
	// Flushes and FlushesFailed count flushes that wrote their file, and that failed.
	Flushes       int64 `json:"flushes"`
	FlushesFailed int64 `json:"flushes_failed"`
	// OTLP is the OTLP exporter's state, nil when export was never configured.
	OTLP *OTLPStats `json:"otlp"`
}

// OTLPStats counts the spans of the OTLP exporter.
type OTLPStats struct {
	Queued        int64 `json:"queued"`         // waiting or being sent
	Exported      int64 `json:"exported"`       // accepted by the backend
	Dropped       int64 `json:"dropped"`        // refused (queue full) or cut off by Shutdown
	FailedBatches int64 `json:"failed_batches"` // rejected, or failing after every retry
	FailedSpans   int64 `json:"failed_spans"`
}

// ReadStats returns the store's counters, after recording the captured exchanges still waiting
// (see Transport). Safe for concurrent use.
func ReadStats() (Stats, error) {
	recordPending()
	text, err := stats()
	if err != nil {
		return Stats{}, err
	}
	var s Stats
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return Stats{}, &Error{Code: ErrInvalidJSON, Message: "stats from the core: " + err.Error()}
	}
	return s, nil
}
