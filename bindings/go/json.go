package aiobs

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// The inputs the core takes are small JSON objects built on every call, so they are appended by
// hand into reused buffers instead of going through encoding/json's reflection.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as encoding/json does,
// because the core refuses input that is not UTF-8.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendSeparator appends the comma before a member or element, unless it is the first.
func appendSeparator(dst []byte) []byte {
	if last := dst[len(dst)-1]; last != '{' && last != '[' {
		dst = append(dst, ',')
	}
	return dst
}

// appendStringOrNull appends s as a JSON string, or null when it is empty.
func appendStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendString(dst, s)
}

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// appendTime appends t as Unix seconds with microseconds, the core's time format.
func appendTime(dst []byte, t time.Time) []byte {
	micros := t.UnixMicro()
	dst = strconv.AppendInt(dst, micros/1e6, 10)
	frac := micros % 1e6
	dst = append(dst, '.')
	for div := int64(1e5); div > 0; div /= 10 {
		dst = append(dst, byte('0'+frac/div%10))
	}
	return dst
}

// appendStringMap appends a map of strings as a JSON object.
func appendStringMap(dst []byte, m map[string]string) []byte {
	dst = append(dst, '{')
	for k, v := range m {
		dst = appendSeparator(dst)
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, v)
	}
	return append(dst, '}')
}

// appendValue appends any Go value as JSON (span arguments and results). A value encoding/json
// cannot encode is recorded as its error text, so tracing never fails the traced function.
func appendValue(dst []byte, v any) []byte {
	encoded, err := json.Marshal(v)
	if err != nil {
		return appendString(dst, "<unencodable "+err.Error()+">")
	}
	return append(dst, encoded...)
}
