package aiobs

import "net/url"

// appendURL appends u.String(). The URLs of LLM APIs are plain (a scheme, a host, a path that
// needs no escape, perhaps a query), and those are appended as they are, sparing String's
// escaping passes and its allocation; any other URL goes through String.
func appendURL(dst []byte, u *url.URL) []byte {
	if u.Opaque != "" || u.User != nil || u.OmitHost || u.RawPath != "" || u.Fragment != "" ||
		u.Scheme == "" || u.Host == "" || !plainURLPart(u.Host, &hostBytes) || !plainURLPart(u.Path, &pathBytes) ||
		(u.Path != "" && u.Path[0] != '/') {
		return append(dst, u.String()...)
	}
	dst = append(append(append(dst, u.Scheme...), "://"...), u.Host...)
	dst = append(dst, u.Path...)
	if u.ForceQuery || u.RawQuery != "" {
		dst = append(append(dst, '?'), u.RawQuery...)
	}
	return dst
}

// The bytes url.URL.String leaves as they are in a host (a name or an IPv4 address, a port)
// and in a path.
var (
	hostBytes = byteSet("-._~:")
	pathBytes = byteSet("-._~/$&+,:;=@")
)

// byteSet is a table of the letters, the digits and extra.
func byteSet(extra string) (set [256]bool) {
	for c := '0'; c <= '9'; c++ {
		set[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		set[c], set[c-'a'+'A'] = true, true
	}
	for i := range len(extra) {
		set[extra[i]] = true
	}
	return set
}

func plainURLPart(s string, allowed *[256]bool) bool {
	for i := range len(s) {
		if !allowed[s[i]] {
			return false
		}
	}
	return true
}
