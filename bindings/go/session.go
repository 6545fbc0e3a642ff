package aiobs

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
)

func init() {
	// Sessions say they come from Go. Goroutines move between OS threads, so the core's
	// per-thread span stack means nothing here: every span and call names its parent itself.
	settings := appendString([]byte(`{"runtime":"go","runtime_version":`), runtime.Version())
	settings = append(settings, `,"thread_parenting":false}`...)
	if err := configure(append(settings, 0)); err != nil {
		panic("aiobs: the core refused the Go binding's settings: " + err.Error())
	}
}

// Configure changes process-wide settings of the core; only the keys given change, and an
// unknown key or a bad value changes nothing (ErrInvalidArgument). The keys are the core's
// (include/aiobs.h, aiobs_configure), among them:
//
//	"capture_content"    bool: keep prompts, outputs and embeddings (default true, or false
//	                     when AIOBS_CAPTURE_CONTENT=false)
//	"max_input_bytes"    int: the largest body or JSON input one call may pass (16 MiB)
//	"max_memory_bytes"   int: past it new events are dropped and counted (256 MiB)
//	"flush_ends_session" bool: false keeps the active session going across flushes
//
// The Go binding sets "runtime", "runtime_version" and "thread_parenting" itself.
func Configure(settings map[string]any) error {
	encoded, err := json.Marshal(settings)
	if err != nil {
		return &Error{Code: ErrInvalidArgument, Message: "settings: " + err.Error()}
	}
	recordPending() // under the settings they were captured with
	if err := configure(append(encoded, 0)); err != nil {
		return err
	}
	if limit, ok := settings["max_input_bytes"]; ok {
		if n, err := strconv.ParseInt(fmt.Sprint(limit), 10, 64); err == nil {
			captureLimit.Store(n) // the core accepted it, so it is a positive integer
		}
	}
	return nil
}

// Version is the version of the aiobs core linked into the program, e.g. "0.1.0".
func Version() string { return coreVersion() }

// Observe starts a session and makes it active; LLM calls and spans recorded from now on belong
// to it. name "" names the session after its id. labels may be nil; the system labels
// (aiobs_runtime "go", aiobs_runtime_version, aiobs_sdk_version, aiobs_hostname, aiobs_os) and
// AIOBS_LABEL_* environment variables are added. Invalid labels (ErrInvalidLabel,
// ErrLabelLimit) create no session. A session still active stays in the store, un-ended, until
// the next Flush. Safe for concurrent use.
func Observe(name string, labels map[string]string) (sessionID string, err error) {
	cname, err := cText("session name", name)
	if err != nil {
		return "", err
	}
	var clabels []byte
	if labels != nil {
		clabels = append(appendStringMap(nil, labels), 0)
	}
	recordPending() // into the session they were captured in
	return observe(cname, clabels)
}

// End ends the active session; without one it does nothing. Spans still open keep their session
// and are recorded when they end. Safe for concurrent use.
func End() error {
	recordPending()
	return end()
}

// Flush writes every session and event recorded since the last flush to one JSON file, replaced
// atomically, and returns its absolute path. path "" means $LLM_OBS_OUT, then
// ./llm_observability.json. The active session stops being active. On failure (ErrIO) nothing is
// lost: everything stays for the next Flush. Safe for concurrent use; recording on other
// goroutines goes on while the file is written.
func Flush(path string) (written string, err error) {
	var cpath []byte
	if path != "" {
		if cpath, err = cText("path", path); err != nil {
			return "", err
		}
	}
	recordPending()
	return flush(cpath)
}

// AddLabel adds or overwrites one label of the active session. Keys match
// ^[a-z][a-z0-9_]{0,62}$, values have at most 256 characters, the prefix aiobs_ is reserved and a
// session holds at most 64 labels (ErrInvalidLabel, ErrLabelLimit, ErrNoSession).
func AddLabel(key, value string) error {
	ckey, err := cText("label key", key)
	if err != nil {
		return err
	}
	cvalue, err := cText("label value", value)
	if err != nil {
		return err
	}
	return addLabel(ckey, cvalue)
}

// SetLabels sets the active session's labels: merge true adds to and overwrites the current
// ones, false replaces every user label and keeps the system labels. Nothing changes when any
// label is invalid.
func SetLabels(labels map[string]string, merge bool) error {
	return setLabels(append(appendStringMap(nil, labels), 0), merge)
}

// RemoveLabel removes a user label of the active session; a missing key is fine. System labels
// (aiobs_ prefix) cannot be removed: ErrInvalidLabel.
func RemoveLabel(key string) error {
	ckey, err := cText("label key", key)
	if err != nil {
		return err
	}
	return removeLabel(ckey)
}

// Labels returns the active session's labels, system labels included (ErrNoSession without one).
func Labels() (map[string]string, error) {
	text, err := getLabels()
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	if err := json.Unmarshal([]byte(text), &labels); err != nil {
		return nil, &Error{Code: ErrInvalidJSON, Message: "labels from the core: " + err.Error()}
	}
	return labels, nil
}
