package aiobs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The hand-written JSON appenders give what encoding/json reads back as the same value.
func TestAppendString(t *testing.T) {
	texts := []string{"", "plain", `quote " backslash \ slash /`, "tab\tnewline\nreturn\r", "\x00\x01\x1f\x7f",
		"naïve 日本語 🎉", "bad \xff utf-8 \xc3", "\u2028\u2029", "</script>"}
	// Each of those at every offset from the eight-byte words the plain text is skipped in.
	for _, text := range texts[1:] {
		for pad := 1; pad <= 9; pad++ {
			texts = append(texts, strings.Repeat("p", pad)+text+strings.Repeat("q", 17-pad))
		}
	}
	for _, s := range texts {
		encoded := appendString(nil, s)
		if fromBytes := appendString(nil, []byte(s)); string(fromBytes) != string(encoded) {
			t.Errorf("%q: %s from a string, %s from bytes", s, encoded, fromBytes)
		}
		var decoded string
		if err := json.Unmarshal(encoded, &decoded); err != nil {
			t.Errorf("%q: %s does not parse: %v", s, encoded, err)
			continue
		}
		want, _ := json.Marshal(s) // encoding/json also turns invalid UTF-8 into U+FFFD
		var wantDecoded string
		json.Unmarshal(want, &wantDecoded)
		if decoded != wantDecoded {
			t.Errorf("%q: got %q, want %q", s, decoded, wantDecoded)
		}
	}
}

func TestAppendTime(t *testing.T) {
	at := time.Unix(1767400000, 123456789)
	if got := string(appendTime(nil, at)); got != "1767400000.123456" {
		t.Errorf("got %s", got)
	}
	if got := string(appendTime(nil, time.Unix(5, 1000))); got != "5.000001" {
		t.Errorf("got %s", got)
	}
	if got := string(appendTime(nil, time.Unix(0, 0))); got != "0.000000" {
		t.Errorf("got %s", got)
	}
}

func TestAppendStringMapAndHeaders(t *testing.T) {
	var labels map[string]string
	if err := json.Unmarshal(appendStringMap(nil, map[string]string{"a": "1", "b\"": "2"}), &labels); err != nil || labels["b\""] != "2" {
		t.Errorf("labels: %v %v", labels, err)
	}
	var headers map[string]any
	encoded := appendHeaders(nil, map[string][]string{"X-One": {"1"}, "X-Two": {"a", "b"}, "X-None": {}})
	if err := json.Unmarshal(encoded, &headers); err != nil {
		t.Fatalf("%s: %v", encoded, err)
	}
	if headers["X-One"] != "1" || len(headers["X-Two"].([]any)) != 2 || len(headers["X-None"].([]any)) != 0 {
		t.Errorf("headers: %v", headers)
	}
}

func TestCodeNames(t *testing.T) {
	if ErrNoSession.Error() != "aiobs: no active session" || Code(99).Error() != "aiobs: status 99" {
		t.Errorf("%v / %v", ErrNoSession, Code(99))
	}
}
