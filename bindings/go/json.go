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
// because the core refuses input that is not UTF-8. It takes bytes as well as a string, so a
// URL written once into a buffer need not become a string to be quoted.
func appendString[T ~string | ~[]byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Most text needs no escape: test it eight bytes at a time, and the tail as the last
		// eight bytes, which overlap plain ones before it. The test sets the top bit of a byte
		// that is a control character, a quote, a backslash or part of a multi-byte character
		// (a borrow can only spread past a byte already found).
		if j := min(i, len(s)-8); j >= 0 {
			const ones, tops = 0x0101010101010101, 0x8080808080808080
			_ = s[j+7]
			w := uint64(s[j]) | uint64(s[j+1])<<8 | uint64(s[j+2])<<16 | uint64(s[j+3])<<24 |
				uint64(s[j+4])<<32 | uint64(s[j+5])<<40 | uint64(s[j+6])<<48 | uint64(s[j+7])<<56
			control, quote, backslash := w-0x20*ones, (w^'"'*ones)-ones, (w^'\\'*ones)-ones
			if (control|quote|backslash|w)&tops == 0 {
				i = j + 8
				continue
			}
		}
		c := s[i]
		if plainBytes[c] {
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
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
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

// plainBytes are the bytes that go into a JSON string as they are.
var plainBytes = func() (plain [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
	}
	return plain
}()

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
	if micros < 0 {
		return strconv.AppendFloat(dst, float64(micros)/1e6, 'f', 6, 64)
	}
	seconds, fraction := uint64(micros)/1e6, uint32(uint64(micros)%1e6)
	// Written from the end back, two digits at a time.
	var text [32]byte
	i := len(text) - 7
	text[i] = '.'
	for n := 0; n < 3; n++ {
		pair := fraction % 100 * 2
		text[len(text)-2-2*n], text[len(text)-1-2*n] = digitPairs[pair], digitPairs[pair+1]
		fraction /= 100
	}
	for ; seconds >= 10; seconds /= 100 {
		i -= 2
		pair := seconds % 100 * 2
		text[i], text[i+1] = digitPairs[pair], digitPairs[pair+1]
	}
	if seconds > 0 || i == len(text)-7 {
		i--
		text[i] = byte('0' + seconds)
	}
	return append(dst, text[i:]...)
}

const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

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
