package aiobs

// This file is the only one that speaks to C. Every function here takes Go values, hands them to
// the core for the duration of one call and turns the status and message that come back into a
// Go error. Inputs are passed as Go memory (NUL-terminated byte slices, bodies through
// unsafe.SliceData) without copying: the core borrows them for the call and copies what it keeps,
// which the cgo pointer rules allow because none of them holds a Go pointer.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libaiobs.a -lpthread -ldl -lm
#cgo noescape aiobs_version
#cgo nocallback aiobs_version
#cgo noescape aiobs_string_free
#cgo nocallback aiobs_string_free
#cgo noescape aiobs_configure
#cgo nocallback aiobs_configure
#cgo noescape aiobs_observe
#cgo nocallback aiobs_observe
#cgo noescape aiobs_end
#cgo nocallback aiobs_end
#cgo noescape aiobs_flush
#cgo nocallback aiobs_flush
#cgo noescape aiobs_add_label
#cgo nocallback aiobs_add_label
#cgo noescape aiobs_set_labels
#cgo nocallback aiobs_set_labels
#cgo noescape aiobs_remove_label
#cgo nocallback aiobs_remove_label
#cgo noescape aiobs_get_labels
#cgo nocallback aiobs_get_labels
#cgo noescape aiobs_http_check
#cgo nocallback aiobs_http_check
#cgo noescape result_record_http
#cgo nocallback result_record_http
#cgo noescape result_span_begin_into
#cgo nocallback result_span_begin_into
#cgo noescape result_span_end
#cgo nocallback result_span_end
#cgo noescape aiobs_stats
#cgo nocallback aiobs_stats
#cgo noescape aiobs_shutdown
#cgo nocallback aiobs_shutdown
#include <stdlib.h>
#include "aiobs.h"

// The calls made for every exchange and span return their message beside their status: a Go
// pointer to the message would be a pointer to a pointer, which cgo checks on every call.
typedef struct {
	aiobs_status status;
	char *message;
} result;

static inline result result_record_http(const char *exchange_json, const uint8_t *request_body,
		size_t request_body_len, const uint8_t *response_body, size_t response_body_len) {
	result r = {AIOBS_OK, NULL};
	r.status = aiobs_record_http(exchange_json, request_body, request_body_len, response_body,
		response_body_len, &r.message);
	return r;
}

static inline result result_span_begin_into(const char *span_json, char *span_id_buf) {
	result r = {AIOBS_OK, NULL};
	r.status = aiobs_span_begin_into(span_json, span_id_buf, &r.message);
	return r;
}

static inline result result_span_end(const char *span_id, const char *result_json, const char *error) {
	result r = {AIOBS_OK, NULL};
	r.status = aiobs_span_end(span_id, result_json, error, &r.message);
	return r;
}

*/
import "C"

import (
	"strings"
	"unsafe"
)

// The status codes of include/aiobs.h; errors.go gives them Go names.
const (
	codeInvalidArgument = C.AIOBS_ERR_INVALID_ARGUMENT
	codeInvalidJSON     = C.AIOBS_ERR_INVALID_JSON
	codeInvalidLabel    = C.AIOBS_ERR_INVALID_LABEL
	codeLabelLimit      = C.AIOBS_ERR_LABEL_LIMIT
	codeNoSession       = C.AIOBS_ERR_NO_SESSION
	codeUnknownSpan     = C.AIOBS_ERR_UNKNOWN_SPAN
	codeTooLarge        = C.AIOBS_ERR_TOO_LARGE
	codeIO              = C.AIOBS_ERR_IO
	codePanic           = C.AIOBS_ERR_PANIC
	codeNotLLMEndpoint  = C.AIOBS_ERR_NOT_LLM_ENDPOINT
	codeMemoryLimit     = C.AIOBS_ERR_MEMORY_LIMIT
	codeTimeout         = C.AIOBS_ERR_TIMEOUT
)

// cText is a NUL-terminated copy of s for the core, or an error when s holds a NUL byte (the core
// would silently see a shorter string).
func cText(what, s string) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Code: ErrInvalidArgument, Message: what + " contains a NUL byte"}
	}
	return append([]byte(s), 0), nil
}

// ptr points C at a NUL-terminated Go byte slice, or is NULL for nil.
func ptr(text []byte) *C.char {
	if text == nil {
		return nil
	}
	return (*C.char)(unsafe.Pointer(unsafe.SliceData(text)))
}

// bodyPtr points C at a body's bytes; an empty body is NULL with length 0.
func bodyPtr(body []byte) *C.uint8_t {
	if len(body) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(body)))
}

// takeString copies a string the core returned and frees the core's copy.
func takeString(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.aiobs_string_free(s)
	return C.GoString(s)
}

// check turns a status and its message into nil or an *Error.
func check(status C.aiobs_status, message *C.char) error {
	text := takeString(message)
	if status == C.AIOBS_OK {
		return nil
	}
	return &Error{Code: Code(status), Message: text}
}

func coreVersion() string { return C.GoString(C.aiobs_version()) }

func configure(settings []byte) error {
	var message *C.char
	return check(C.aiobs_configure(ptr(settings), &message), message)
}

func observe(name, labels []byte) (string, error) {
	var id, message *C.char
	if err := check(C.aiobs_observe(ptr(name), ptr(labels), &id, &message), message); err != nil {
		return "", err
	}
	return takeString(id), nil
}

func end() error {
	var message *C.char
	return check(C.aiobs_end(&message), message)
}

func flush(path []byte) (string, error) {
	var written, message *C.char
	if err := check(C.aiobs_flush(ptr(path), &written, &message), message); err != nil {
		return "", err
	}
	return takeString(written), nil
}

func addLabel(key, value []byte) error {
	var message *C.char
	return check(C.aiobs_add_label(ptr(key), ptr(value), &message), message)
}

func setLabels(labels []byte, merge bool) error {
	var message *C.char
	return check(C.aiobs_set_labels(ptr(labels), C.bool(merge), &message), message)
}

func removeLabel(key []byte) error {
	var message *C.char
	return check(C.aiobs_remove_label(ptr(key), &message), message)
}

func getLabels() (string, error) {
	var labels, message *C.char
	if err := check(C.aiobs_get_labels(&labels, &message), message); err != nil {
		return "", err
	}
	return takeString(labels), nil
}

// httpCheck says whether the core would record an exchange of method to url now (both
// NUL-terminated). The status alone answers, so no message is asked for.
func httpCheck(method, url []byte) bool {
	return C.aiobs_http_check(ptr(method), ptr(url), nil) == C.AIOBS_OK
}

// recordHTTP hands one exchange to the core; the bodies are borrowed for the call and copied.
func recordHTTP(exchange, request, response []byte) error {
	r := C.result_record_http(ptr(exchange),
		bodyPtr(request), C.size_t(len(request)),
		bodyPtr(response), C.size_t(len(response)))
	return check(r.status, r.message)
}

// A span's id buffer holds exactly what aiobs_span_begin_into writes (a constant that
// overflows, failing the build, when the two differ).
const _ = uint(spanIDLen+1-C.AIOBS_SPAN_ID_SIZE) + uint(C.AIOBS_SPAN_ID_SIZE-spanIDLen-1)

// spanBegin begins a span and writes its NUL-terminated id into id, which holds at least
// C.AIOBS_SPAN_ID_SIZE bytes: one call into C, and no string to free.
func spanBegin(span, id []byte) error {
	r := C.result_span_begin_into(ptr(span), ptr(id))
	return check(r.status, r.message)
}

func spanEnd(id, result, errText []byte) error {
	r := C.result_span_end(ptr(id), ptr(result), ptr(errText))
	return check(r.status, r.message)
}

func stats() (string, error) {
	var out, message *C.char
	if err := check(C.aiobs_stats(&out, &message), message); err != nil {
		return "", err
	}
	return takeString(out), nil
}

func shutdown(timeoutMillis uint32) error {
	var message *C.char
	return check(C.aiobs_shutdown(C.uint32_t(timeoutMillis), &message), message)
}
