//go:build !amd64 && !arm64

package stack

import "runtime"

// Walk: see the package documentation. Without frame pointers it asks runtime.Callers.
//
//go:noinline
func Walk(max int, visit func(pc uintptr) bool) {
	pcs := make([]uintptr, max)
	for _, pc := range pcs[:runtime.Callers(2, pcs)] { // from Walk's caller on
		if !visit(pc) {
			return
		}
	}
}
